#pragma once
// Exactly-once firing of a fixed-period schedule with catchUp "all": every slot from
// the first to the end of the run fired, none twice. Pure.
#include <cstdint>
#include <string>
#include <vector>

namespace raftor::chaos {

struct FireCheck {
    bool ok = false;
    std::uint64_t expected = 0;    // slots that had to fire, first to last
    std::uint64_t seen = 0;        // distinct slots fired
    std::uint64_t duplicates = 0;  // executions of a slot already fired
    std::uint64_t missing = 0;     // slots that had to fire and did not
    std::string explanation;       // empty when ok
};

// `slots`: the slot (ms since the epoch) of every execution of the operation, in any
// order. The schedule ran from `from_ms` (registered) to `until_ms` (frozen); a slot
// fires a little after its time, so the last `tolerance_ms` before `until_ms` may be
// unfired yet. Slots past `until_ms` are allowed: a leader whose clock jumped ahead
// fires early, and each slot still once.
FireCheck check_fires(std::vector<std::int64_t> slots, std::int64_t period_ms, std::int64_t from_ms,
                      std::int64_t until_ms, std::int64_t tolerance_ms);

}  // namespace raftor::chaos
