#pragma once
#include <caf/all.hpp>
#include <chrono>

#include "actors/introspection.hpp"
#include "actors/messages.hpp"
#include "actors/peer_protocol.hpp"

namespace raftor::actors {
struct TimerState {
    std::uint64_t generation = 0;
    std::uint64_t ticks = 0;
    std::chrono::microseconds tick{0};  // the interval now (the simulator skews it)
    ActorStats stats;
    static inline const char* name = "election_timer";
};
// Its protocol, checked by the compiler: its own arming (with a generation), a pace,
// and the introspector's question.
using ElectionTimer = caf::typed_actor<caf::reacts_to<tick_atom, std::uint64_t>, caf::reacts_to<pace_atom, int>,
                                       caf::replies_to<inspect_atom>::with<ReportPtr>>;
// Sends `tick` to `peer` every `tick`. delayed_send cannot be cancelled, so each
// arming carries a generation and stale ones are ignored. `pace` changes the interval
// to a percentage of `tick`: the simulator's clock skew and drift.
ElectionTimer::behavior_type election_timer(ElectionTimer::stateful_pointer<TimerState> self, Peer peer,
                                            std::chrono::milliseconds tick);
}  // namespace raftor::actors
