#include "actors/election_timer.hpp"

#include "actors/messages.hpp"

namespace raftor::actors {

ElectionTimer::behavior_type election_timer(ElectionTimer::stateful_pointer<TimerState> self, Peer peer,
                                            std::chrono::milliseconds tick) {
    self->link_to(peer);  // the timer lives and dies with its peer
    self->state.tick = tick;
    self->delayed_send(self, tick, tick_atom::value, self->state.generation);
    return {
        [=](tick_atom, std::uint64_t generation) {
            self->state.stats.note(self, "tick");
            if (generation != self->state.generation) return;  // a stale arming
            ++self->state.ticks;
            self->send(peer, tick_atom::value);
            self->delayed_send(self, self->state.tick, tick_atom::value, self->state.generation);
        },
        [=](pace_atom, int percent) {
            self->state.stats.note(self, "pace");
            const auto us = std::chrono::duration_cast<std::chrono::microseconds>(tick).count();
            self->state.tick = std::chrono::microseconds(std::max<std::int64_t>(1, us * std::max(1, percent) / 100));
            // Re-arm at the new pace now; the pending arming goes stale.
            ++self->state.generation;
            self->delayed_send(self, self->state.tick, tick_atom::value, self->state.generation);
        },
        [=](inspect_atom) -> ReportPtr {
            return report_of(self, self->state.stats, "election_timer", "timer",
                             {{"tickMs", std::to_string(tick.count())},
                              {"tickUsNow", std::to_string(self->state.tick.count())},
                              {"ticksSent", std::to_string(self->state.ticks)},
                              {"generation", std::to_string(self->state.generation)}});
        },
    };
}

}  // namespace raftor::actors
