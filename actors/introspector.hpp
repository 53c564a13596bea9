#pragma once
// The node's introspector: every actor joins it (name, kind, handle). Asked to
// `inspect`, it asks each actor for its report and answers with all of them. An actor
// that does not answer within `answer_timeout` is shown with its last report and
// `responsive: false` (that is the stuck one); a stopped actor with why it stopped.
#include <caf/all.hpp>
#include <chrono>
#include <map>

#include "actors/introspection.hpp"
#include "actors/wall_clock.hpp"

namespace raftor::actors {

struct IntrospectorState {
    struct Member {
        std::string kind;
        caf::actor handle;  // null once stopped
        introspect::ActorReport last;
    };
    std::map<std::string, Member> members;
    ActorStats stats;
    static inline const char* name = "introspector";
};

// Its protocol, checked by the compiler: an actor joins it; asked to inspect, it answers
// with every member's report and its own. Its handle is given out as a caf::actor (the
// actors join with anon_send).
using Introspector = caf::typed_actor<caf::reacts_to<join_atom, std::string, std::string, caf::actor>,
                                      caf::replies_to<inspect_atom>::with<ReportsPtr>>;

// `wall`: the node's wall clock, for the times of the actors' message traces.
Introspector::behavior_type introspector(Introspector::stateful_pointer<IntrospectorState> self,
                                         std::chrono::milliseconds answer_timeout, WallClock wall);

}  // namespace raftor::actors
