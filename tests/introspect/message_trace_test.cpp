// The ring of recent messages and the rate meter each actor keeps for the console.
#include "runtime/introspect/message_trace.hpp"

#define BOOST_TEST_MODULE introspect
#include <boost/test/unit_test.hpp>

using namespace raftor::introspect;

BOOST_AUTO_TEST_CASE(the_trace_keeps_the_newest_messages_numbered_from_one) {
    MessageTrace t;
    BOOST_TEST(t.since(0).empty());
    BOOST_TEST(t.first_held() == 1u);
    t.record("a", 10);
    t.record("b", 11);
    auto all = t.since(0);
    BOOST_REQUIRE(all.size() == 2u);
    BOOST_TEST(all[0].seq == 1u);
    BOOST_TEST(std::string(all[0].type) == "a");
    BOOST_TEST(all[1].at_ms == 11);
    BOOST_TEST(t.since(1).size() == 1u);
    BOOST_TEST(t.since(2).empty());
    BOOST_TEST(t.since(99).empty());

    for (int i = 0; i < 1000; ++i) t.record(i % 2 ? "odd" : "even", 100 + i);
    BOOST_TEST(t.last_seq() == 1002u);
    BOOST_TEST(t.first_held() == 1002u - MessageTrace::capacity + 1);
    auto held = t.since(0);
    BOOST_REQUIRE(held.size() == MessageTrace::capacity);
    BOOST_TEST(held.front().seq == t.first_held());
    BOOST_TEST(held.back().seq == 1002u);
    BOOST_TEST(held.back().at_ms == 100 + 999);
    for (std::size_t i = 1; i < held.size(); ++i) BOOST_TEST(held[i].seq == held[i - 1].seq + 1);
    auto newest = t.since(0, 3);
    BOOST_REQUIRE(newest.size() == 3u);
    BOOST_TEST(newest.front().seq == 1000u);
    BOOST_TEST(t.since(1000).size() == 2u);
}

BOOST_AUTO_TEST_CASE(the_rate_is_messages_per_second_over_the_last_whole_seconds) {
    RateMeter r;
    BOOST_TEST(r.per_second(5'000) == 0.0);
    // 20 a second for 15 s starting at t=100 s.
    for (std::int64_t ms = 100'000; ms < 115'000; ms += 50) r.add(ms);
    BOOST_TEST(r.per_second(115'000) == 20.0);
    // Then 5 a second for 3 s: the window holds 7 s at 20 and 3 s at 5.
    for (std::int64_t ms = 115'000; ms < 118'000; ms += 200) r.add(ms);
    BOOST_TEST(r.per_second(118'000) == (7 * 20 + 3 * 5) / 10.0);
    // Silence: the rate decays to zero after the window.
    BOOST_TEST(r.per_second(123'000) == (2 * 20 + 3 * 5) / 10.0);
    BOOST_TEST(r.per_second(140'000) == 0.0);
    // A long gap, then traffic again: old buckets are not counted twice.
    r.add(200'000);
    r.add(200'500);
    BOOST_TEST(r.per_second(201'000) == 0.2);  // 2 in the last 10 whole seconds
}

BOOST_AUTO_TEST_CASE(a_young_actor_has_a_rate_from_what_it_handled_so_far) {
    RateMeter r;
    r.add(3'000);
    r.add(3'100);
    r.add(3'200);
    BOOST_TEST(r.per_second(3'500) == 6.0);  // 3 in 500 ms
    // After its first whole second it is averaged over the seconds it has lived.
    BOOST_TEST(r.per_second(4'100) == 3.0);
    BOOST_TEST(r.per_second(5'100) == 1.5);
}
