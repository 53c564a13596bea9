#pragma once
// Raft's timers in ticks, from the operator's milliseconds. The core counts ticks; the
// election timer actor sends one every `tick_ms`. A follower campaigns after a random
// wait in [election_timeout_ms / 2, election_timeout_ms), so a dead leader is replaced
// well within 2 x electionTimeoutMs (the operator's contract).
#include <algorithm>
#include <cstdint>

namespace raftor::node {

struct Timing {
    std::uint32_t tick_ms = 50;
    int heartbeat_ticks = 3;
    int election_ticks = 15;  // the core randomizes in [election_ticks, 2 * election_ticks)
};

// A tick a third of the heartbeat keeps timeouts within a third of a heartbeat of what
// was asked for; config validation guarantees election_timeout_ms >= 3 * heartbeat_ms.
inline Timing timing_of(std::uint32_t heartbeat_ms, std::uint32_t election_timeout_ms) {
    Timing t;
    t.tick_ms = std::max<std::uint32_t>(1, heartbeat_ms / 3);
    t.heartbeat_ticks = std::max(1, static_cast<int>(heartbeat_ms / t.tick_ms));
    t.election_ticks = std::max(t.heartbeat_ticks + 1, static_cast<int>(election_timeout_ms / 2 / t.tick_ms));
    return t;
}

}  // namespace raftor::node
