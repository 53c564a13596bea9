// Entries committed per second by three in-memory Raft cores on one thread: no
// I/O, "durable" at once, messages handed over directly. Measures the core alone.
// Usage: raft_core_throughput [entries] [payload_bytes] [proposals_per_round]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <vector>

#include "runtime/raft/raft.hpp"

using namespace raftor::raft;

int main(int argc, char** argv) {
    const std::uint64_t total = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 5'000'000;
    const std::size_t payload = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 64;
    const std::size_t per_round = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 4096;

    std::vector<std::unique_ptr<Raft>> nodes;
    for (NodeId id = 1; id <= 3; ++id) {
        Config c;
        c.id = id;
        c.append_entries_max = per_round;
        c.append_bytes_max = 64u << 20;
        Restore r;
        r.initial_conf = ConfState{{1, 2, 3}, {}};
        nodes.push_back(std::make_unique<Raft>(c, std::move(r)));
    }
    std::deque<Message> wire;
    std::uint64_t applied = 0, messages = 0, batches = 0;
    auto pump = [&](Raft& r) {
        while (r.has_ready()) {
            Ready rd = r.ready();
            for (auto& m : rd.messages) wire.push_back(std::move(m));
            if (r.id() == 1) applied += rd.committed.size();
            if (rd.persist_id) r.on_persisted(rd.persist_id);
        }
    };
    auto settle = [&] {
        for (auto& n : nodes) pump(*n);
        while (!wire.empty()) {
            Message m = std::move(wire.front());
            wire.pop_front();
            ++messages;
            Raft& to = *nodes[m.to - 1];
            to.step(m);
            pump(to);
        }
    };
    nodes[0]->campaign();
    settle();
    if (nodes[0]->role() != Role::leader) {
        std::fprintf(stderr, "no leader\n");
        return 1;
    }
    applied = 0;
    const std::string data(payload, 'x');
    Raft& leader = *nodes[0];
    const auto start = std::chrono::steady_clock::now();
    std::uint64_t proposed = 0;
    while (applied < total) {
        for (std::size_t i = 0; i < per_round && proposed < total; ++i, ++proposed) leader.propose(data);
        ++batches;
        settle();
        // Keep memory flat as a real node would: compact what every node applied.
        const Index upto = leader.applied();
        if (upto > leader.log().snapshot_index() + 100'000)
            for (auto& n : nodes) n->compact(std::min(upto, n->applied()), std::make_shared<const std::string>("s"));
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf(
        "raft core, 3 nodes in memory, one thread: %llu entries of %zu bytes in %.3f s = %.0f entries/s "
        "(%llu proposals per round, %.1f messages per round)\n",
        (unsigned long long)applied, payload, secs, applied / secs, (unsigned long long)per_round,
        double(messages) / double(batches));
    return 0;
}
