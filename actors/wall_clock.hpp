#pragma once
// The wall clock an actor reads, handed to it by whoever assembles the node: the
// system's in `raftor node`, a simulated one where a simulator runs the actor. The
// times the operations actors stamp on proposals become replicated state (creation,
// start and finish times, retry waits), so no actor reads the system clock itself.
#include <chrono>
#include <cstdint>
#include <functional>

namespace raftor::actors {

using WallClock = std::function<std::int64_t()>;  // milliseconds since the epoch

inline std::int64_t system_wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

inline WallClock system_wall_clock() {
    return &system_wall_ms;
}

}  // namespace raftor::actors
