#pragma once
#include <caf/all.hpp>
#include <chrono>

#include "actors/introspection.hpp"

namespace raftor::actors {
struct TimerState {
    std::uint64_t generation = 0;
    std::uint64_t ticks = 0;
    std::chrono::microseconds tick{0};  // the interval now (the simulator skews it)
    ActorStats stats;
    static inline const char* name = "election_timer";
};
// Sends `tick` to `peer` every `tick`. delayed_send cannot be cancelled, so each
// arming carries a generation and stale ones are ignored. `pace` changes the interval
// to a percentage of `tick`: the simulator's clock skew and drift.
caf::behavior election_timer(caf::stateful_actor<TimerState>* self, caf::actor peer, std::chrono::milliseconds tick);
}  // namespace raftor::actors
