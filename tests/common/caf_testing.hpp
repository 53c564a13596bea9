#pragma once
// An actor system on CAF's deterministic scheduler, for actor tests. Drive it with
// test_coordinator::try_run_once() and advance_time().
#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

namespace raftor::testing {

inline caf::actor_system_config& deterministic_config() {
    static caf::actor_system_config cfg = [] {
        caf::actor_system_config c;
        c.set("scheduler.policy", caf::atom("testing"));
        return c;
    }();
    return cfg;
}

}  // namespace raftor::testing
