#pragma once
// The idle triggers due at a time: while nothing runs, each operation with
// idleThresholdMs whose idle period has lasted that long and has not fired for it yet.
// Pure: the scheduler proposes them (the state machine checks them again at apply).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/state/ops_machine.hpp"

namespace raftor::state {

struct IdleDue {
    std::vector<FireIdle> fire;           // due now
    std::optional<std::int64_t> next_ms;  // the earliest one not yet due
};

IdleDue idle_due(const OpsMachine& m, std::int64_t now_ms);

}  // namespace raftor::state
