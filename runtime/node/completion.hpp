#pragma once
// How one client request ends. Each request completes exactly once: refused by the
// Raft side (not the leader, invalid), or answered by the state machine (applied,
// read, or of unknown outcome when its entry was lost with a leader).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "runtime/raft/types.hpp"
#include "runtime/state/kv_store.hpp"
#include "runtime/state/ops_machine.hpp"

namespace raftor::node {

using Token = std::uint64_t;  // the caller's handle on one client request

enum class Outcome : std::uint8_t {
    done,        // applied (a write) or served (a read); see `result` / `value`
    not_leader,  // refused: ask `leader_hint` (0: unknown)
    unknown,     // a write whose entry was overwritten or whose leader stepped down:
                 // it may or may not apply; retrying with the same request id is safe
    invalid,     // the request itself is bad; `detail` says why
    conflict,    // refused for now (a membership change is pending, a learner lags): retry later
    no_space,    // refused: this leader's storage is full (map or disk); `detail` says which
    overloaded,  // refused: the leader's uncommitted bytes are at their limit; retry shortly
    refused,     // refused by a rule of the cluster (minClusterSize); retrying will not help
};
const char* to_string(Outcome o);

struct Completion {
    Token token = 0;
    Outcome outcome = Outcome::done;
    state::KvResult result;               // key-value writes
    state::OpsResult ops;                 // operations commands
    std::optional<state::KvValue> value;  // reads (nothing: the key does not exist)
    raft::NodeId leader_hint = 0;
    std::string detail;
    // A write's stage times on the leader (steady clock, ns; 0: not known), for the
    // write stage histograms: proposed, handed to the state machine once committed, applied.
    std::int64_t proposed_ns = 0, committed_ns = 0, applied_ns = 0;
};

}  // namespace raftor::node
