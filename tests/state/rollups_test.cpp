// The replicated figures behind the windows (/metrics/7d, /metrics/month): per-minute
// rollups of final executions, and the leader terms behind failoverCount and uptime.
// Both outlive the executions' own retention and come back whole from a snapshot.
#include "runtime/state/rollups.hpp"

#include <boost/test/unit_test.hpp>

#include "runtime/state/leader_terms.hpp"
#include "runtime/state/ops_machine.hpp"
#include "runtime/state/state_snapshot.hpp"
#include "tests/state/replica.hpp"

using namespace raftor::state;

namespace {

constexpr std::int64_t minute = 60'000, hour = 3'600'000, day = 86'400'000;
constexpr std::int64_t t0 = 1'800'000'000'000;  // on a minute

using testing::Replica;
OperationSpec noop(std::string id) {
    return testing::op(std::move(id));
}

// One manual execution of `id`, run to `status` in `ms`.
void execute(Replica& r, const std::string& id, ExecStatus status, std::uint64_t ms) {
    r.run_to(r.execute(id), status, ms);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ops_rollups)

BOOST_AUTO_TEST_CASE(a_window_merges_the_minutes_it_overlaps_per_operation_and_in_total) {
    Rollups r;
    r.add(t0 + 1'000, "a", ExecStatus::success, true, 3);
    r.add(t0 + 2'000, "a", ExecStatus::failed, true, 200);
    r.add(t0 + 3'000, "b", ExecStatus::success, true, 3);
    r.add(t0 + minute + 1, "a", ExecStatus::success, true, 3);
    r.add(t0 + 2 * minute, "b", ExecStatus::skipped, false, 0);
    BOOST_TEST(r.minutes() == 3u);

    const OpsFigures all = r.total(t0, t0 + 3 * minute);
    BOOST_TEST(all.finished() == 5u);
    BOOST_TEST(all.of(ExecStatus::success) == 3u);
    BOOST_TEST(all.errors() == 1u);
    BOOST_TEST(all.duration_count == 4u);  // the skipped one never ran
    BOOST_TEST(all.duration_sum_ms == 209u);
    BOOST_TEST(all.buckets[1] == 3u);  // (1, 5] ms
    BOOST_TEST(all.buckets[6] == 1u);  // (100, 250] ms

    const OpsFigures a = r.of("a", t0, t0 + 3 * minute);
    BOOST_TEST(a.finished() == 3u);
    BOOST_TEST(a.errors() == 1u);
    BOOST_TEST(r.of("c", t0, t0 + 3 * minute).finished() == 0u);

    // A window starting mid-minute takes that minute whole; one ending before a minute
    // starts leaves it out.
    BOOST_TEST(r.total(t0 + minute + 30'000, t0 + 3 * minute).finished() == 2u);
    BOOST_TEST(r.total(t0, t0 + minute - 1).finished() == 3u);

    r.drop_before(t0 + minute);  // the first minute ends there
    BOOST_TEST(r.minutes() == 2u);
    BOOST_TEST(r.total(t0, t0 + 3 * minute).finished() == 2u);
    BOOST_TEST(*r.oldest_minute_ms() == t0 + minute);
}

BOOST_AUTO_TEST_CASE(a_count_past_a_fields_width_opens_a_second_field) {
    // A run whose success field is full: restored as a snapshot would bring it.
    std::string error;
    const auto success = static_cast<std::uint32_t>(ExecStatus::success);
    auto r = Rollups::restore({"a"}, {{t0, {0, 1, 0, 0, (success << 24) | Rollups::count_max}}}, error);
    BOOST_REQUIRE_MESSAGE(r, error);
    r->add(t0 + 5, "a", ExecStatus::success, false, 0);
    BOOST_TEST(r->total(t0, t0).of(ExecStatus::success) == std::uint64_t{Rollups::count_max} + 1);
    BOOST_TEST(r->words().at(t0).size() == 6u);
}

BOOST_AUTO_TEST_CASE(malformed_rollups_are_refused_with_what_is_wrong) {
    std::string error;
    BOOST_TEST(!Rollups::restore({"a"}, {{t0 + 1, {}}}, error));
    BOOST_TEST(error.find("not on a minute") != std::string::npos);
    BOOST_TEST(!Rollups::restore({"a"}, {{t0, {1, 0, 0, 0}}}, error));  // operation 1 of 1 name
    BOOST_TEST(error.find("malformed at word 0") != std::string::npos);
    BOOST_TEST(!Rollups::restore({"a"}, {{t0, {0, 3, 0, 0, 1}}}, error));  // 3 fields, 1 word
    BOOST_TEST(!Rollups::restore({"a"}, {{t0, {0, 1, 0, 0, 12u << 24 | 1}}}, error));
    BOOST_TEST(error.find("unknown field 12") != std::string::npos);
    BOOST_TEST(!Rollups::restore({"a", "a"}, {}, error));
    BOOST_TEST(error.find("twice") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(leader_terms_give_the_changes_and_the_time_led_in_a_window) {
    LeaderTerms t;
    t.note(1, t0, "n1");
    t.note(1, t0 + 10 * minute);  // ticks of term 1 up to 10 min
    t.note(3, t0 + 11 * minute);  // a minute without a leader, then term 3
    t.note(3, t0 + 20 * minute, "n2");
    t.note(2, t0 + 21 * minute);  // an entry of an older term, applied late: no record
    BOOST_REQUIRE(t.terms().size() == 2u);
    BOOST_TEST(t.terms()[1].node == "n2");
    BOOST_TEST(t.changes(t0, t0 + day) == 1u);  // the first leader is no failover
    BOOST_TEST(t.changes(t0 + 12 * minute, t0 + day) == 0u);
    // Up to now = 20 min + 5 s, term 3 still ticking: 20 min of 20 led, less the gap.
    BOOST_TEST(t.led_ms(t0, t0 + 20 * minute + 5'000) == 19 * minute + 5'000);
    // An hour later with no tick, term 3 ended at its last one.
    BOOST_TEST(t.led_ms(t0, t0 + 80 * minute) == 19 * minute);
    BOOST_TEST(t.led_ms(t0 + 5 * minute, t0 + 15 * minute) == 9 * minute);

    // A new leader whose clock is behind its predecessor's starts where that one ended.
    t.note(4, t0 + 15 * minute, "n3");
    BOOST_TEST(t.terms().back().from_ms == t0 + 20 * minute);
    t.drop_before(t0 + 30 * minute);
    BOOST_TEST(t.terms().size() == 1u);  // the latest stays
}

BOOST_AUTO_TEST_CASE(windows_outlive_the_history_and_snapshots_keep_them_whole) {
    OpsOptions o;
    o.history_retention_ms = o.receipts_retention_ms = hour;
    Replica r(o, t0);
    r.run(LeaderTick{"n1"});
    r.run(PutOperation{noop("job"), true});
    // One execution a day for 40 days, one failing in three; term changes on day 20.
    for (int d = 0; d < 40; ++d) {
        r.now = t0 + d * day;
        if (d == 20) r.term = 2;
        r.run(LeaderTick{r.term == 1 ? "n1" : "n2"});
        execute(r, "job", d % 3 == 0 ? ExecStatus::failed : ExecStatus::success, 40);
    }
    const std::int64_t now = r.now + minute;
    // The executions themselves: only the last hour's.
    BOOST_TEST(r.m.history("job", 100).size() == 1u);
    // The rollups: 35 days and a bit, whatever the history keeps.
    const OpsFigures month = r.m.rollups().total(now - 30 * day, now);
    BOOST_TEST(month.finished() == 30u);
    BOOST_TEST(month.errors() == 10u);
    BOOST_TEST(r.m.rollups().total(now - 7 * day, now).finished() == 7u);
    BOOST_TEST(r.m.rollups().of("job", now - 7 * day, now).finished() == 7u);
    BOOST_TEST(r.m.rollups().total(0, now).finished() == 36u);               // days 4..39: 35 days back from day 39
    BOOST_TEST(r.m.figures_between(now - 30 * day, now).finished() == 30u);  // beyond the history: rollups
    // Within what the history holds, to the millisecond: the last run finished at
    // day 39 + 40 ms, so a window from 41 ms has none, one from 39 ms has it.
    const std::int64_t last = t0 + 39 * day + 40;
    BOOST_TEST(r.m.figures_between(last + 1, now).finished() == 0u);
    BOOST_TEST(r.m.figures_between(last - 1, now).finished() == 1u);
    BOOST_TEST(r.m.leaders().changes(now - 30 * day, now) == 1u);
    // Ticked once a day here, so each term is led only from tick to tick.
    BOOST_TEST(r.m.leaders().led_ms(now - 7 * day, now) > 6 * day);

    // A snapshot brings both back as they were.
    const std::string bytes = encode_state(KvStore{}, r.m);
    KvStore kv;
    OpsMachine back(o);
    const auto err = restore_state(bytes, kv, back);
    BOOST_REQUIRE_MESSAGE(!err, err.value_or(""));
    BOOST_TEST((back.rollups().words() == r.m.rollups().words()));
    BOOST_TEST((back.rollups().names() == r.m.rollups().names()));
    BOOST_REQUIRE(back.leaders().terms().size() == r.m.leaders().terms().size());
    BOOST_TEST(back.leaders().terms().back().node == "n2");
    BOOST_TEST(back.leaders().led_ms(now - 7 * day, now) == r.m.leaders().led_ms(now - 7 * day, now));
}

BOOST_AUTO_TEST_CASE(history_retention_hides_what_receipts_retention_still_keeps) {
    OpsOptions o;
    o.history_retention_ms = hour;
    o.receipts_retention_ms = 30 * day;
    Replica r(o, t0);
    r.run(PutOperation{noop("job"), true});
    execute(r, "job", ExecStatus::success, 5);
    const auto first = r.m.history("job", 10).at(0).id;
    r.now += 2 * hour;
    execute(r, "job", ExecStatus::success, 5);
    const auto shown = r.m.history("job", 10);
    BOOST_REQUIRE(shown.size() == 1u);
    BOOST_TEST(shown[0].id != first);
    BOOST_TEST(r.m.history_from("job", 0, 10).size() == 1u);
    BOOST_TEST(r.m.receipt_of(first).has_value());  // its receipt is still kept
}

BOOST_AUTO_TEST_SUITE_END()
