// The scheduler's slot arithmetic, as pure functions of the schedule, the last slot
// fired and the wall clock: what each catch-up policy fires, and when a woken scheduler
// reads the state again (a clock stepped back must not leave it waiting for a slot
// computed at the later time).
#include "runtime/state/due_slots.hpp"

#include <boost/test/unit_test.hpp>

using namespace raftor;
using namespace raftor::state;

namespace {

schedule::Schedule every_second() {
    std::string error;
    auto s = schedule::parse("@every 1s", error);
    BOOST_REQUIRE_MESSAGE(s.has_value(), error);
    return *s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(due_slots_math)

BOOST_AUTO_TEST_CASE(each_catch_up_policy_fires_what_it_says) {
    const auto s = every_second();
    const std::int64_t last = 10'000;  // slot 10 s fired; now 13.5 s: slots 11, 12, 13 are due
    const auto all = due_slots(s, last, 13'500, CatchUp::all, 1000, 256);
    BOOST_TEST((all.fire == std::vector<std::int64_t>{11'000, 12'000, 13'000}));
    BOOST_TEST(all.next.value_or(0) == 14'000);
    const auto once = due_slots(s, last, 13'500, CatchUp::once, 1000, 256);
    BOOST_TEST((once.fire == std::vector<std::int64_t>{13'000}));
    // skip: the latest slot is 500 ms late, within a 1 s grace; with 100 ms it is dropped.
    BOOST_TEST((due_slots(s, last, 13'500, CatchUp::skip, 1000, 256).fire == std::vector<std::int64_t>{13'000}));
    BOOST_TEST(due_slots(s, last, 13'500, CatchUp::skip, 100, 256).fire.empty());
    // `all` fires at most `max` at a time and asks to look again at once.
    const auto capped = due_slots(s, last, 13'500, CatchUp::all, 1000, 2);
    BOOST_TEST(capped.fire.size() == 2u);
    BOOST_TEST(capped.next.value_or(0) == 13'000);
    // Nothing due before the next slot.
    const auto early = due_slots(s, last, 10'900, CatchUp::all, 1000, 256);
    BOOST_TEST(early.fire.empty());
    BOOST_TEST(early.next.value_or(0) == 11'000);
}

// Found by the simulator: a leader whose disk was full had its clock stepped 25 s
// forward, then back. Its scan at the later time computed the next slot 25 s ahead; the
// fires of that scan were refused (full storage), and every wake-up after the step back
// waited for that slot, so every schedule starved for 25 s after the disk recovered.
BOOST_AUTO_TEST_CASE(a_clock_stepped_back_makes_the_scheduler_look_again) {
    const std::int64_t scanned_at = 51'000, next_due = 52'000;
    BOOST_TEST(!scan_now(51'500, next_due, scanned_at));  // the clock goes on: wait for the slot
    BOOST_TEST(scan_now(52'000, next_due, scanned_at));   // the slot is due
    BOOST_TEST(scan_now(27'000, next_due, scanned_at));   // the clock went back: look again
    // After that scan, at the earlier time, the next wake-ups go by the new figures.
    BOOST_TEST(!scan_now(27'400, 28'000, 27'000));
    BOOST_TEST(scan_now(28'000, 28'000, 27'000));
}

BOOST_AUTO_TEST_SUITE_END()
