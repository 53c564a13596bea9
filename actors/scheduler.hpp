#pragma once
// The scheduler: on the leader, it proposes "fire operation O for slot T" when a slot
// comes due (runtime/state/due_slots.hpp applies the catch-up policy). The state
// machine accepts one fire per slot, so proposing again after a failover or a lost
// reply is safe. Time is the wall clock; it wakes at the next slot due, and at least
// every second to read the clock again (it may have been stepped).
#include <caf/all.hpp>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "actors/introspection.hpp"
#include "actors/messages.hpp"
#include "actors/one_pass.hpp"
#include "actors/peer_protocol.hpp"
#include "actors/wall_clock.hpp"
#include "runtime/schedule/schedule.hpp"

namespace raftor::actors {

struct SchedulerSetup {
    Peer peer;
    schedule::ZoneLoader zones;
    std::int64_t skip_grace_ms = 1000;  // catchUp skip: a slot later than this is missed
    WallClock wall = system_wall_clock();
};
using SchedulerSetupPtr = std::shared_ptr<const SchedulerSetup>;

struct SchedulerState {
    bool leading = false;
    std::uint64_t term = 0;
    OnePass scan;
    std::set<std::pair<std::string, std::int64_t>> in_flight;       // fires proposed, not yet answered
    std::set<std::pair<std::string, std::int64_t>> idle_in_flight;  // idle fires (operation, idle since) too
    std::uint64_t idle_fires = 0;
    std::map<std::string, std::pair<std::string, std::shared_ptr<schedule::Schedule>>> parsed;  // by operation
    std::uint64_t wake_generation = 0;
    std::int64_t next_due_ms = 0;
    std::int64_t scanned_at_ms = 0;                                // the wall clock when next_due_ms was computed
    std::vector<std::pair<std::int64_t, std::string>> next_fires;  // the soonest few (slot, operation), for the console
    std::uint64_t fires = 0, duplicates = 0;
    std::int64_t last_lateness_ms = 0;  // how late after its slot the last fire was proposed
    ActorStats stats;
    static inline const char* name = "scheduler";
};

// Its protocol, checked by the compiler: what the peer and the state machine tell it
// (leadership, a change to the operations state), its own wake-up (with a generation:
// delayed_send cannot be cancelled), and the introspector's question.
using Scheduler =
    caf::typed_actor<caf::reacts_to<leadership_atom, bool, std::uint64_t>,
                     caf::reacts_to<ops_changed_atom, bool, bool, bool>, caf::reacts_to<wake_atom, std::uint64_t>,
                     caf::replies_to<inspect_atom>::with<ReportPtr>>;

Scheduler::behavior_type scheduler(Scheduler::stateful_pointer<SchedulerState> self, SchedulerSetupPtr setup);

}  // namespace raftor::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(raftor::actors::SchedulerSetupPtr)
