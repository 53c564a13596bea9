#define BOOST_TEST_MODULE schedule
#include "runtime/schedule/schedule.hpp"

#include <boost/test/unit_test.hpp>
#include <ctime>

using namespace raftor::schedule;

namespace {

Schedule must(const std::string& spec) {
    std::string error;
    auto s = parse(spec, error);
    BOOST_REQUIRE_MESSAGE(s, error);
    return *s;
}

std::int64_t at(const std::string& rfc3339) {
    auto ms = parse_rfc3339(rfc3339);
    BOOST_REQUIRE_MESSAGE(ms, rfc3339);
    return *ms;
}

std::string next(const std::string& spec, const std::string& after) {
    auto n = next_after(must(spec), at(after));
    return n ? format_rfc3339(*n) : "never";
}

// The reference: libc's calendar, one second at a time.
bool matches(const Schedule& s, std::int64_t sec) {
    const std::time_t t = static_cast<std::time_t>(sec);
    std::tm tm{};
    gmtime_r(&t, &tm);
    const bool dom = s.days[tm.tm_mday], dow = s.weekdays[tm.tm_wday];
    const bool day = s.any_day && s.any_weekday ? true : s.any_day ? dow : s.any_weekday ? dom : (dom || dow);
    return s.seconds[tm.tm_sec] && s.minutes[tm.tm_min] && s.hours[tm.tm_hour] && s.months[tm.tm_mon + 1] && day;
}

}  // namespace

BOOST_AUTO_TEST_CASE(rfc3339_against_libc) {
    BOOST_TEST(at("1970-01-01T00:00:00Z") == 0);
    BOOST_TEST(at("2026-11-24T15:00:00.250Z") - at("2026-11-24T15:00:00Z") == 250);
    BOOST_TEST(at("2026-12-01T10:00:00+01:00") == at("2026-12-01T09:00:00Z"));
    BOOST_TEST(at("2026-12-01T08:30:00-00:30") == at("2026-12-01T09:00:00Z"));
    for (std::int64_t sec : {0LL, 951782400LL, 4107542399LL, 1796000000LL}) {
        std::tm tm{};
        const std::time_t t = sec;
        gmtime_r(&t, &tm);
        char buf[32];
        std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
        BOOST_TEST(at(buf) == sec * 1000, buf);
        BOOST_TEST(format_rfc3339(sec * 1000).substr(0, 19) == std::string(buf).substr(0, 19));
    }
    for (const char* bad : {"2026-02-30T00:00:00Z", "2026-12-01T24:00:00Z", "2026-12-01T09:00:00", "tomorrow",
                            "2026-12-01T09:00:00Zjunk", "2026-12-01T09:00:00+1:00"})
        BOOST_TEST(!parse_rfc3339(bad), bad);
}

BOOST_AUTO_TEST_CASE(cron_next_slots) {
    BOOST_TEST(next("*/5 * * * * *", "2026-11-24T15:00:03Z") == "2026-11-24T15:00:05.000Z");
    BOOST_TEST(next("*/5 * * * * *", "2026-11-24T15:00:05Z") == "2026-11-24T15:00:10.000Z");  // strictly after
    BOOST_TEST(next("*/5 * * * * *", "2026-11-24T15:00:04.999Z") == "2026-11-24T15:00:05.000Z");
    BOOST_TEST(next("30 2 * * *", "2026-11-24T15:00:00Z") == "2026-11-25T02:30:00.000Z");         // five fields
    BOOST_TEST(next("0 0 9 * * MON-FRI", "2026-11-27T10:00:00Z") == "2026-11-30T09:00:00.000Z");  // Fri -> Mon
    BOOST_TEST(next("0 0 0 * * 7", "2026-11-24T00:00:00Z") == "2026-11-29T00:00:00.000Z");        // 7 is Sunday
    BOOST_TEST(next("0 0 0 1 jan *", "2026-11-24T00:00:00Z") == "2027-01-01T00:00:00.000Z");
    BOOST_TEST(next("@hourly", "2026-12-31T23:59:59Z") == "2027-01-01T00:00:00.000Z");
    BOOST_TEST(next("@monthly", "2026-01-31T12:00:00Z") == "2026-02-01T00:00:00.000Z");
    // Day of month OR day of week when both are given (cron's rule).
    BOOST_TEST(next("0 0 12 13 * FRI", "2026-11-24T00:00:00Z") == "2026-11-27T12:00:00.000Z");
    BOOST_TEST(next("0 0 12 13 * FRI", "2026-11-28T00:00:00Z") == "2026-12-04T12:00:00.000Z");
    // Feb 29 skips 2100, which is not a leap year.
    BOOST_TEST(next("0 0 0 29 2 *", "2097-03-01T00:00:00Z") == "2104-02-29T00:00:00.000Z");
    BOOST_TEST(next("0 0 0 30 2 *", "2026-01-01T00:00:00Z") == "never");
    BOOST_TEST(next("0 0 0 31 4,6,9,11 *", "2026-01-01T00:00:00Z") == "never");
}

BOOST_AUTO_TEST_CASE(cron_agrees_with_a_second_by_second_search) {
    const std::int64_t start = at("2026-02-27T22:13:07Z") / 1000;
    for (const char* spec : {"*/7 * * * * *", "0 */13 * * * *", "15 30 */5 * * *", "0 0 0 * * SAT,SUN",
                             "10-20/3 5,50 * * * *", "0 0 23 28-31 * *", "0 0 * 1 3 *"}) {
        const Schedule s = must(spec);
        std::int64_t from = start;
        for (int k = 0; k < 5; ++k) {
            const auto got = next_after(s, from * 1000 + 123);
            BOOST_REQUIRE(got);
            std::int64_t want = from + 1;
            while (!matches(s, want) && want < from + 40 * 86'400) ++want;
            BOOST_TEST(*got == want * 1000, spec << " after " << format_rfc3339(from * 1000));
            from = *got / 1000;
        }
    }
}

BOOST_AUTO_TEST_CASE(every_and_at) {
    BOOST_TEST(next("@every 5s", "2026-11-24T15:00:12.300Z") == "2026-11-24T15:00:15.000Z");
    BOOST_TEST(must("@every 1m30s").every_ms == 90'000);
    BOOST_TEST(must("@every 250ms").every_ms == 250);
    BOOST_TEST(must("@every 2h").every_ms == 7'200'000);
    BOOST_TEST(next("@at 2026-12-01T09:00:00Z", "2026-11-24T15:00:00Z") == "2026-12-01T09:00:00.000Z");
    BOOST_TEST(next("@at 2026-12-01T09:00:00Z", "2026-12-01T09:00:00Z") == "never");
}

BOOST_AUTO_TEST_CASE(bad_schedules_name_what_is_wrong) {
    auto bad = [](const std::string& spec, const std::string& says) {
        std::string error;
        BOOST_TEST(!parse(spec, error), spec);
        BOOST_TEST(error.find(says) != std::string::npos, spec << " -> " << error);
    };
    bad("", "empty");
    bad("* * *", "3 fields");
    bad("61 * * * * *", "second field '61'");
    bad("0 0 25 * * *", "hour field '25'");
    bad("*/0 * * * * *", "step '0'");
    bad("0 0 0 * FOO *", "month field 'FOO'");
    bad("0 0 0 * * 8", "day-of-week field '8'");
    bad("0 0 5-2 * * *", "backwards");
    bad("0 0 0 1,,2 * *", "empty list item");
    bad("@every 5 seconds", "not a duration");
    bad("@every 0s", "under 10ms");
    bad("@at next tuesday", "not an RFC 3339 time");
    bad("@fortnightly", "unknown macro");
}
