#pragma once
// What the leader's executor does next, decided from the state as this node has it and
// from what the executor itself is doing, at a time it is given: which executions to
// start (within maxConcurrent), which handlers it runs whose try is over in the state
// (to kill), and when the earliest retry falls due. Pure: the executor actor only
// carries it out, and tests call it with any state and time.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "runtime/state/ops_machine.hpp"

namespace raftor::state {

// The executor's own side.
struct ExecutorLoad {
    std::size_t max_concurrent = 10;
    std::map<std::uint64_t, std::uint32_t> running;  // handlers it runs: execution -> try
    std::set<std::uint64_t> starting;                // starts proposed, not yet answered
    // Finishes not yet recorded (unproposed or in flight) hold a slot too: while they
    // cannot be proposed (no quorum, a full disk) no new handler starts.
    std::size_t finishes_pending = 0;

    std::size_t room() const;
};

struct StartCandidate {
    std::uint64_t id = 0;
    std::uint32_t attempt = 0;  // the try to start
    OperationSpec spec;
    std::string input;
};

struct StartPlan {
    std::vector<StartCandidate> start;    // in creation order, at most room()
    std::vector<std::uint64_t> gone;      // handlers to kill: their try is no longer running in the state
    std::optional<std::int64_t> wake_ms;  // the earliest retry not yet due (when there is room)
};

StartPlan plan_starts(const OpsMachine& m, const ExecutorLoad& load, std::int64_t now_ms);

}  // namespace raftor::state
