#include "sim/sim_network.hpp"

#include <algorithm>

namespace raftor::sim {

void NetworkModel::send(raft::NodeId from, raft::NodeId to, actors::Frame bytes, std::uint64_t now_us) {
    ++sent;
    bytes_sent[from] += bytes.size();
    if (cut(from, to) || (drop > 0 && rng.unit() < drop)) {
        ++dropped;
        if (event) event("drop", from, to, bytes.size());
        return;
    }
    const int copies = duplicate > 0 && rng.unit() < duplicate ? 2 : 1;
    if (copies == 2) ++duplicated;
    for (int i = 0; i < copies; ++i) {
        const std::uint64_t span = delay_max_us - delay_min_us;
        const std::uint64_t delay = delay_min_us + (span ? rng.below(span + 1) : 0);
        std::uint64_t& last = last_arrival_[{from, to}];
        const std::uint64_t at = in_order ? std::max(now_us + delay, last) : now_us + delay;
        last = std::max(last, at);
        in_flight_.emplace(std::pair{at, next_seq_++}, InFlight{from, to, i + 1 < copies ? bytes : std::move(bytes)});
    }
}

void NetworkModel::deliver_due(std::uint64_t now_us) {
    while (!in_flight_.empty() && in_flight_.begin()->first.first <= now_us) {
        InFlight f = std::move(in_flight_.extract(in_flight_.begin()).mapped());
        auto it = peers.find(f.to);
        if (cut(f.from, f.to) || it == peers.end()) {
            ++dropped;
            if (event) event("lost", f.from, f.to, f.bytes.size());
            continue;
        }
        ++delivered;
        bytes_delivered[f.to] += f.bytes.size();
        if (event) event("deliver", f.from, f.to, f.bytes.size());
        caf::anon_send(it->second, actors::frame_atom::value, f.from, std::move(f.bytes));
    }
}

caf::behavior sim_network(caf::stateful_actor<SimNetworkState>* self, NetworkModelPtr model) {
    self->state.model = std::move(model);
    return {
        [=](actors::frame_atom, raft::NodeId from, raft::NodeId to, const actors::Frame& bytes) {
            self->state.stats.note(self, "frame");
            const auto now =
                std::chrono::duration_cast<std::chrono::microseconds>(self->clock().now().time_since_epoch());
            self->state.model->send(from, to, bytes, static_cast<std::uint64_t>(now.count()));
        },
        // The console and /debug/actors see the simulated network where a node has its TCP
        // transport: the whole network's counts, since every node shares it.
        [=](actors::inspect_atom) {
            const NetworkModel& m = *self->state.model;
            actors::Summary s{{"framesSent", std::to_string(m.sent)},
                              {"framesDelivered", std::to_string(m.delivered)},
                              {"framesDropped", std::to_string(m.dropped)},
                              {"framesDuplicated", std::to_string(m.duplicated)}};
            return actors::report_of(self, self->state.stats, "transport", "sim_network", std::move(s));
        },
    };
}

}  // namespace raftor::sim
