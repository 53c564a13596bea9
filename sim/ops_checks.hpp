#pragma once
// The operations checkers of `raftor sim`. They follow the committed log (every entry,
// from whichever node commits it first, applied in order to a shadow copy of the
// operations state) and look at every node's own state at the end:
//   - every slot of every schedule fires exactly once cluster-wide: none twice, none
//     skipped, none still owed by the leader's clock after the heal;
//   - every try's handler is launched once cluster-wide, and only after its start
//     entry committed;
//   - no try stays running longer than its timeout plus two election timeouts once the
//     cluster has a leader again after the heal;
//   - retries follow the policy: a failed try with retries left is retried, none past
//     them; each wait is the policy's backoff (grown, capped, jittered within its share),
//     and no retry starts before its wait is over;
//   - the receipt chain verifies on every node, with the same head as the log at that
//     node's applied index.
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "runtime/state/ops_machine.hpp"
#include "sim/actor_cluster.hpp"

namespace raftor::sim {

class OpsChecker {
public:
    OpsChecker(ActorCluster& cluster, std::uint32_t election_timeout_ms);

    // Every entry any node commits (the cluster's on_committed).
    void committed(const raft::Entry& e);
    // A node's executor launched the handler of a try (the cluster's on_launch).
    void launched(raft::NodeId node, std::uint64_t execution, std::uint32_t attempt);
    // The faults are over: the bound on running tries counts from the next leader.
    void healed();
    // Now and then after the heal: tries running too long.
    void sample();
    // At the end: slots owed, executions stuck, every node's receipts.
    void check_end();

    const std::vector<std::string>& violations() const { return violations_; }
    struct Figures {
        std::uint64_t executions = 0, fires = 0, tries = 0, retries = 0, launches = 0, receipts = 0, sealed = 0;
        raft::Index applied = 0;  // entries the shadow applied
    };
    Figures figures() const;

private:
    struct Try {
        std::uint64_t started_us = 0;  // when its start was first seen committed
        std::uint64_t timeout_ms = 0;
        bool reported = false;
    };
    void apply(const raft::Entry& e);
    void apply_ops(const raft::Entry& e, const state::OpsCommand& cmd);
    void violation(std::string what);
    std::uint64_t timeout_of(const std::string& operation) const;

    ActorCluster& c_;
    std::uint64_t election_us_;
    state::OpsMachine shadow_;
    raft::Index applied_ = 0;
    std::map<raft::Index, raft::Entry> pending_;            // committed out of order, waiting for their turn
    std::set<std::pair<std::string, std::int64_t>> fired_;  // (operation, slot)
    std::map<std::pair<std::uint64_t, std::uint32_t>, Try> running_;
    std::map<std::pair<std::uint64_t, std::uint32_t>, raft::NodeId> launches_;  // (execution, try) -> where
    // The chain's end after each applied index (the latest ones): what every node's own
    // receipts must end at when it has applied as far.
    std::map<raft::Index, std::pair<std::uint64_t, crypto::Digest>> chain_at_;
    bool healed_ = false;
    raft::NodeId leader_ = 0;
    std::uint64_t leader_since_us_ = 0;
    std::uint64_t tries_ = 0, retries_ = 0;
    std::vector<std::string> violations_;
};

}  // namespace raftor::sim
