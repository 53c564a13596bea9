// The leader's operations decisions as pure functions of the state and a time: which
// executions the executor starts (within maxConcurrent, retries when due, never a try
// another leader still holds), which handlers it kills, and which idle triggers fire.
#include <boost/test/unit_test.hpp>

#include "runtime/state/idle_due.hpp"
#include "runtime/state/start_plan.hpp"
#include "tests/state/replica.hpp"

using namespace raftor::state;

namespace {

using testing::Replica;
OperationSpec spec(std::string id) {
    return testing::op(std::move(id));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(leader_plans)

BOOST_AUTO_TEST_CASE(starts_fill_the_room_oldest_first_and_skip_what_is_in_hand) {
    Replica r;
    r.run(PutOperation{spec("a"), true});
    std::vector<std::uint64_t> ids;
    for (int i = 0; i < 5; ++i) ids.push_back(r.execute("a"));
    ExecutorLoad load;
    load.max_concurrent = 3;
    load.starting = {ids[0]};  // proposed, not yet answered: neither started again nor free
    auto plan = plan_starts(r.m, load, r.now);
    BOOST_REQUIRE(plan.start.size() == 2u);
    BOOST_TEST(plan.start[0].id == ids[1]);
    BOOST_TEST(plan.start[1].id == ids[2]);
    BOOST_TEST(plan.start[0].attempt == 1u);
    BOOST_TEST(plan.start[0].input == "in");
    // Finishes not yet recorded hold their slots.
    load.finishes_pending = 2;
    BOOST_TEST(plan_starts(r.m, load, r.now).start.empty());
}

BOOST_AUTO_TEST_CASE(a_retry_waits_for_its_time_and_a_try_over_in_the_state_is_killed) {
    Replica r;
    auto s = spec("flaky");
    s.retries = 1;
    s.retry_backoff_ms = 1000;
    s.retry_jitter = 0;
    r.run(PutOperation{s, true});
    const auto e = r.execute("flaky");
    r.run(StartBatch{{StartExecution{e, 1, "n1", r.now}}});
    // The executor runs try 1; the state says it is running: keep it.
    ExecutorLoad load;
    load.running = {{e, 1}};
    BOOST_TEST(plan_starts(r.m, load, r.now).gone.empty());
    r.run(FinishBatch{{FinishExecution{e, 1, ExecStatus::failed, 1, r.now, 1, "", raftor::crypto::sha256("")}}});
    // Now retrying: the handler it still tracks is gone; the retry waits a second.
    auto plan = plan_starts(r.m, load, r.now);
    BOOST_TEST(plan.gone == std::vector<std::uint64_t>{e});
    load.running.clear();
    plan = plan_starts(r.m, load, r.now + 999);
    BOOST_TEST(plan.start.empty());
    BOOST_REQUIRE(plan.wake_ms.has_value());
    BOOST_TEST(*plan.wake_ms == r.now + 1000);
    plan = plan_starts(r.m, load, r.now + 1000);
    BOOST_REQUIRE(plan.start.size() == 1u);
    BOOST_TEST(plan.start[0].attempt == 2u);
    // A try another leader started (running, not ours) is left to recover.
    r.run(StartBatch{{StartExecution{e, 2, "n2", r.now}}});
    BOOST_TEST(plan_starts(r.m, load, r.now + 2000).start.empty());
}

BOOST_AUTO_TEST_CASE(idle_triggers_are_due_once_per_quiet_spell) {
    Replica r;
    auto tidy = spec("tidy");
    tidy.idle_threshold_ms = 60'000;
    r.run(PutOperation{tidy, true});
    r.run(PutOperation{spec("work"), true});
    auto due = idle_due(r.m, r.now + 59'999);
    BOOST_TEST(due.fire.empty());
    BOOST_REQUIRE(due.next_ms.has_value());
    BOOST_TEST(*due.next_ms == r.now + 60'000);
    due = idle_due(r.m, r.now + 60'000);
    BOOST_REQUIRE(due.fire.size() == 1u);
    BOOST_TEST(due.fire[0].id == "tidy");
    const std::int64_t from = due.fire[0].idle_from_ms;
    r.now += 60'000;
    BOOST_TEST(r.run(due.fire[0]).executions.size() == 1u);
    BOOST_TEST(idle_due(r.m, r.now + 3'600'000).fire.empty());  // fired for this spell
    BOOST_TEST(!idle_due(r.m, r.now).next_ms.has_value());
    // Busy: nothing is due, whatever the time.
    r.execute("work");
    BOOST_TEST(idle_due(r.m, r.now + 3'600'000).fire.empty());
    BOOST_TEST(from != r.m.idle_from_ms(*r.m.operation("tidy")));
}

BOOST_AUTO_TEST_SUITE_END()
