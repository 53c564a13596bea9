// The introspector on CAF's deterministic scheduler: it reports every actor that
// joined, marks one that does not answer in time as unresponsive (with its last
// report) and one that stopped with the reason.
#include "actors/introspector.hpp"

#include <boost/test/unit_test.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <optional>

#include "tests/common/caf_testing.hpp"

using namespace raftor;
using namespace raftor::actors;

namespace {

struct WorkerState {
    ActorStats stats;
    int answers = 0;  // after this many reports it stops answering (a stuck actor)
    static inline const char* name = "worker";
};

caf::behavior worker(caf::stateful_actor<WorkerState>* self, int answers) {
    self->state.answers = answers;
    return {
        [=](caf::tick_atom) { self->state.stats.note(self, "tick"); },
        [=](inspect_atom) -> caf::result<ReportPtr> {
            if (self->state.answers-- <= 0) return self->make_response_promise<ReportPtr>();  // never delivered
            return report_of(self, self->state.stats, "worker", "test", {{"answers", "yes"}});
        },
    };
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_introspector_reports_live_stuck_and_stopped_actors) {
    caf::actor_system sys{raftor::testing::deterministic_config()};
    auto& sched = dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
    auto drain = [&] {
        while (sched.try_run_once()) {
        }
    };
    auto intro = caf::actor_cast<caf::actor>(sys.spawn(introspector, std::chrono::milliseconds(100),
                                                       WallClock([] { return std::int64_t{1'767'225'600'000}; })));
    auto live = sys.spawn(worker, 1000);
    auto stuck = sys.spawn(worker, 1);
    auto gone = sys.spawn(worker, 1000);
    join(intro, "live", "test", live);
    join(intro, "stuck", "test", stuck);
    join(intro, "gone", "test", gone);
    for (int i = 0; i < 3; ++i) caf::anon_send(live, caf::tick_atom::value);
    drain();

    auto inspect = [&] {
        auto out = std::make_shared<std::optional<ReportsPtr>>();
        sys.spawn(
            [=](caf::event_based_actor* self, caf::actor to) {
                self->request(to, caf::infinite, inspect_atom::value).then([=](ReportsPtr r) { *out = r; });
            },
            intro);
        drain();
        sched.advance_time(std::chrono::milliseconds(150));  // past the answer timeout
        drain();
        BOOST_REQUIRE(out->has_value());
        std::map<std::string, introspect::ActorReport> by_name;
        for (const auto& r : ***out) by_name[r.name] = r;
        return by_name;
    };

    auto first = inspect();
    BOOST_TEST(first.size() == 4u);  // three workers and the introspector itself
    BOOST_TEST(first["live"].messages_handled == 3u);
    BOOST_TEST(first["live"].last_message == "tick");
    BOOST_REQUIRE(first["live"].trace.size() == 3u);  // the ring of what it handled, for `trace`
    BOOST_TEST(first["live"].trace.back().seq == 3u);
    BOOST_TEST(first["live"].trace.back().type == "tick");
    // On the node's wall clock (the one the introspector was given), not the actor clock.
    BOOST_TEST(first["live"].trace.back().at_ms <= 1'767'225'600'000);
    BOOST_TEST(first["live"].trace.back().at_ms > 1'767'225'600'000 - 60'000);
    BOOST_TEST(first["live"].rate_per_s > 0.0);
    BOOST_TEST(first["live"].responsive);
    BOOST_TEST(first["stuck"].responsive);
    BOOST_TEST(first["introspector"].kind == "introspection");

    caf::anon_send_exit(gone, caf::exit_reason::kill);
    drain();
    auto second = inspect();
    BOOST_TEST(second["live"].responsive);
    BOOST_TEST(!second["stuck"].responsive);
    BOOST_TEST(second["stuck"].state.size() == 1u);  // its last report is kept
    BOOST_TEST(!second["gone"].stopped.empty());
    BOOST_TEST(second["gone"].stopped.find("kill") != std::string::npos, second["gone"].stopped);

    for (auto& a : {intro, live, stuck}) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    drain();
}
