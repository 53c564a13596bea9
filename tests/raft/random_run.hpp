#pragma once
// One randomized run over the simulated cluster: faults, clients, compaction,
// membership changes and transfers, then a heal phase that must make progress.
// Shared by the 1,000-seed tests and `make sim-long`.
#include <sstream>
#include <stdexcept>
#include <string>

#include "runtime/raft/assert.hpp"
#include "sim/core_cluster.hpp"

namespace raftor::sim {

struct RandomRunResult {
    bool ok = true;
    std::string failure;
    std::uint64_t trace_hash = 0;
    std::uint64_t commit = 0;
    std::uint64_t events = 0;
    std::uint64_t leaders = 0;
    std::uint64_t snapshots = 0;
    std::uint64_t conf_changes = 0;
};

struct AssertionFailed : std::runtime_error {
    using std::runtime_error::runtime_error;
};

inline RandomRunResult random_run_unguarded(std::size_t n, std::uint64_t seed, std::uint64_t duration_us,
                                            double lose_hard_state);

// A broken in-core assertion ends the run as a failure of this seed.
inline RandomRunResult random_run(std::size_t n, std::uint64_t seed, std::uint64_t duration_us = 30'000'000,
                                  double lose_hard_state = 0) {
    assert_handler().store([](const std::string& m) { throw AssertionFailed(m); });
    RandomRunResult r;
    try {
        r = random_run_unguarded(n, seed, duration_us, lose_hard_state);
    } catch (const AssertionFailed& e) {
        r.ok = false;
        r.failure = "seed " + std::to_string(seed) + " nodes " + std::to_string(n) + ": " + e.what() +
                    " (replay: RAFTOR_SEED=" + std::to_string(seed) + ")";
    }
    assert_handler().store(nullptr);
    return r;
}

inline RandomRunResult random_run_unguarded(std::size_t n, std::uint64_t seed, std::uint64_t duration_us,
                                            double lose_hard_state) {
    raft::Config base;
    raft::Rng rng(seed * 0x2545F4914F6CDD1Dull + n);
    base.pre_vote = rng.below(4) != 0;
    base.append_entries_max = 1 + rng.below(64);
    base.inflight_appends_max = 1 + rng.below(16);
    base.snapshot_chunk_bytes_max = 8;  // snapshots (24 bytes) travel in several chunks
    CoreCluster c(n, seed, base);
    c.faults.drop = rng.unit() * 0.2;
    c.faults.duplicate = rng.unit() * 0.1;
    c.faults.delay_max_us = 500 + rng.below(20'000);
    c.faults.sync_max_us = 100 + rng.below(5'000);
    c.compact_every = rng.below(3) == 0 ? 0 : 5 + rng.below(40);
    c.faults.lose_hard_state = lose_hard_state;

    RandomRunResult res;
    auto fail = [&](const std::string& why) {
        res.ok = false;
        std::ostringstream os;
        os << "seed " << seed << " nodes " << n << ": " << why << " (replay: RAFTOR_SEED=" << seed
           << " raft_tests --run_test=randomized/" << (n == 3 ? "three" : "five") << "_nodes_1000_seeds)";
        res.failure = os.str();
    };
    auto check = [&] {
        std::vector<const raft::Raft*> cores;
        for (raft::NodeId id = 1; id <= n; ++id)
            if (c.node(id).up) cores.push_back(&c.core(id));
        c.invariants().check_log_matching(cores);
        return c.invariants().ok();
    };

    std::uint64_t payload = 0;
    while (c.now_us() < duration_us && c.invariants().ok()) {
        const std::uint64_t action = rng.below(100);
        const raft::NodeId any = 1 + rng.below(n);
        const raft::NodeId l = c.leader();
        if (action < 40) {
            if (l != 0)
                for (std::uint64_t k = 1 + rng.below(5); k > 0; --k) c.propose(l, "p" + std::to_string(++payload));
        } else if (action < 55) {
            if (c.node(any).up) c.read(any);
        } else if (action < 62) {
            std::set<raft::NodeId> a, b;
            for (raft::NodeId id = 1; id <= n; ++id) (rng.below(2) ? a : b).insert(id);
            c.partition({a, b});
        } else if (action < 66) {
            // Asymmetric: one direction of one link.
            const raft::NodeId other = 1 + rng.below(n);
            if (other != any) c.block(any, other);
        } else if (action < 74) {
            c.heal();
        } else if (action < 79) {
            c.crash(any);
        } else if (action < 86) {
            for (raft::NodeId id = 1; id <= n; ++id) c.restart(id);
        } else if (action < 88) {
            if (l != 0 && c.node(any).up) {
                c.core(l).transfer_leadership(any);
                c.process(l);
            }
        } else if (action < 91) {
            if (l != 0) {
                const auto& conf = c.core(l).conf();
                auto& core = c.core(l);
                if (conf.is_learner(any))
                    core.propose_conf_change(raft::ConfChangeType::promote_learner, any);
                else if (!conf.is_member(any))
                    core.propose_conf_change(raft::ConfChangeType::add_learner, any);
                else if (conf.voters.size() > 2 && any != l)
                    core.propose_conf_change(raft::ConfChangeType::remove_voter, any);
                c.process(l);
            }
        } else if (action < 93) {
            c.set_tick_us(any, 5'000 + rng.below(15'000));  // clock skew / drift
        }
        c.run_for(1'000 + rng.below(60'000));
        if (!check()) break;
    }
    if (c.invariants().ok()) {
        // Heal: everyone back, no faults, every former member re-added; a leader
        // must commit a new entry applied by every node of the configuration.
        c.heal();
        c.faults = Faults{};
        c.faults.lose_hard_state = lose_hard_state;
        for (raft::NodeId id = 1; id <= n; ++id) {
            c.restart(id);
            c.set_tick_us(id, 10'000);
        }
        bool live = false;
        const std::uint64_t deadline = c.now_us() + 30'000'000;
        while (!live && c.now_us() < deadline) {
            const raft::NodeId l = c.wait_for_leader(deadline - c.now_us());
            if (l == 0) break;
            auto p = c.propose(l, "heal");
            if (!p.ok()) {
                c.run_for(20'000);
                continue;
            }
            live = c.run_until(
                [&] {
                    const auto& conf = c.core(l).conf();
                    for (raft::NodeId v : conf.voters)
                        if (c.node(v).sm.applied < p.index) return false;
                    return true;
                },
                5'000'000);
            if (live) live = c.core(l).log().term_at(p.index) == p.term || p.index <= c.core(l).log().snapshot_index();
        }
        if (!live) fail("no progress within 30 s of simulated time after healing");
        check();
    }
    if (!c.invariants().ok() && res.ok) fail(c.invariants().violations().front());
    res.trace_hash = c.trace_hash();
    res.commit = c.invariants().highest_commit();
    res.events = c.messages_delivered();
    res.leaders = c.invariants().leaders_elected();
    res.snapshots = c.snapshots_installed();
    for (raft::NodeId id = 1; id <= n; ++id) {
        const auto& log = c.core(id).log();
        std::uint64_t k = 0;
        for (raft::Index i = log.first_index(); i <= log.last_index(); ++i)
            k += log.at(i).type == raft::EntryType::conf_change;
        res.conf_changes = std::max(res.conf_changes, k);
    }
    return res;
}

}  // namespace raftor::sim
