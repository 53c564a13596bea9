#include "actors/election_timer.hpp"

#include "actors/messages.hpp"

namespace raftor::actors {

caf::behavior election_timer(caf::stateful_actor<TimerState>* self, caf::actor peer, std::chrono::milliseconds tick) {
    self->link_to(peer);  // the timer lives and dies with its peer
    self->delayed_send(self, tick, tick_atom::value, self->state.generation);
    return {
        [=](tick_atom, std::uint64_t generation) {
            self->state.stats.note(self, "tick");
            if (generation != self->state.generation) return;  // a stale arming
            ++self->state.ticks;
            self->send(peer, tick_atom::value);
            self->delayed_send(self, tick, tick_atom::value, self->state.generation);
        },
        [=](inspect_atom) {
            return report_of(self, self->state.stats, "election_timer", "timer",
                             {{"tickMs", std::to_string(tick.count())},
                              {"ticksSent", std::to_string(self->state.ticks)},
                              {"generation", std::to_string(self->state.generation)}});
        },
    };
}

}  // namespace raftor::actors
