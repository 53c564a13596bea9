#pragma once
// The wall clock in milliseconds since the epoch, for what the operations actors put
// in commands (creation and start times, slots). Only actor shells read it; the state
// machine takes the times from the entries.
#include <chrono>
#include <cstdint>

namespace raftor::actors {

inline std::int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace raftor::actors
