#include "sim/sim_network.hpp"

namespace raftor::sim {

caf::behavior sim_network(caf::stateful_actor<SimNetworkState>* self, NetworkModelPtr model) {
    using actors::Frame;
    using actors::frame_atom;
    self->state.model = std::move(model);
    return {
        [=](frame_atom, raft::NodeId from, raft::NodeId to, const Frame& bytes) {
            NetworkModel& m = *self->state.model;
            ++m.sent;
            m.bytes_sent[from] += bytes.size();
            if (m.cut(from, to) || (m.drop > 0 && m.rng.unit() < m.drop)) {
                ++m.dropped;
                if (m.event) m.event("drop", from, to, bytes.size());
                return;
            }
            const int copies = m.duplicate > 0 && m.rng.unit() < m.duplicate ? 2 : 1;
            if (copies == 2) ++m.duplicated;
            for (int i = 0; i < copies; ++i) {
                const std::uint64_t span = m.delay_max_us - m.delay_min_us;
                const std::uint64_t delay = m.delay_min_us + (span ? m.rng.below(span + 1) : 0);
                self->delayed_send(self, std::chrono::microseconds(delay), deliver_atom::value, from, to, bytes);
            }
        },
        [=](deliver_atom, raft::NodeId from, raft::NodeId to, const Frame& bytes) {
            NetworkModel& m = *self->state.model;
            auto it = m.peers.find(to);
            if (m.cut(from, to) || it == m.peers.end()) {
                ++m.dropped;
                if (m.event) m.event("lost", from, to, bytes.size());
                return;
            }
            ++m.delivered;
            m.bytes_delivered[to] += bytes.size();
            if (m.event) m.event("deliver", from, to, bytes.size());
            self->send(it->second, frame_atom::value, from, bytes);
        },
    };
}

}  // namespace raftor::sim
