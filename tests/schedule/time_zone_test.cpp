// Time zones from the system's zone database agree with glibc's at every instant
// tried, 1900 to 2100, including the years after the files' tables (the POSIX rule).
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <ctime>

#include "runtime/schedule/schedule.hpp"
#include "runtime/schedule/tz_file.hpp"

using namespace raftor::schedule;

namespace {
std::int64_t glibc_offset(const std::string& zone, std::int64_t t) {
    setenv("TZ", (":" + zone).c_str(), 1);
    tzset();
    const std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    localtime_r(&tt, &tm);
    return tm.tm_gmtoff;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(time_zone)

BOOST_AUTO_TEST_CASE(agrees_with_glibc) {
    for (const char* zone : {"Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata",
                             "America/Sao_Paulo", "Pacific/Chatham", "Europe/London", "UTC"}) {
        std::string error;
        const auto tz = load_time_zone(zone, error);
        BOOST_REQUIRE_MESSAGE(tz, error);
        std::size_t mismatches = 0;
        // Every 7 hours 13 minutes from 1900 to 2100: through every transition season.
        for (std::int64_t t = -2'208'988'800; t < 4'102'444'800; t += 7 * 3600 + 13 * 60) {
            if (tz->offset_at(t) != glibc_offset(zone, t) && ++mismatches <= 3)
                BOOST_ERROR(zone << " at " << t << ": " << tz->offset_at(t) << " vs glibc " << glibc_offset(zone, t));
        }
        BOOST_TEST(mismatches == 0u, zone);
    }
    unsetenv("TZ");
    tzset();
}

BOOST_AUTO_TEST_CASE(posix_rules_alone) {
    std::string error;
    auto cet = TimeZone::from_posix("CET-1CEST,M3.5.0,M10.5.0/3", "cet", error);
    BOOST_REQUIRE_MESSAGE(cet, error);
    BOOST_TEST(cet->offset_at(4'102'444'800) == 3600);                 // 2100-01-01: winter
    BOOST_TEST(cet->offset_at(4'102'444'800 + 182 * 86'400) == 7200);  // July 2100: summer
    auto ist = TimeZone::from_posix("<+0530>-5:30", "ist", error);
    BOOST_REQUIRE_MESSAGE(ist, error);
    BOOST_TEST(ist->offset_at(0) == 19'800);
    for (const char* bad : {"", "C", "CET", "CET-1CEST", "CET-1CEST,J60,J300", "CET-1CEST,M13.5.0,M10.5.0"})
        BOOST_TEST(!TimeZone::from_posix(bad, "x", error), bad);
}

BOOST_AUTO_TEST_CASE(bad_names_and_files_are_refused) {
    std::string error;
    BOOST_TEST(!load_time_zone("../../etc/passwd", error));
    BOOST_TEST(error.find("not a zone name") != std::string::npos, error);
    BOOST_TEST(!load_time_zone("Mars/Olympus_Mons", error));
    BOOST_TEST(error.find("is not in /usr/share/zoneinfo") != std::string::npos, error);
    BOOST_TEST(!TimeZone::from_tzif("TZif2 but not really", "x", error));
    BOOST_TEST(!TimeZone::from_tzif("", "x", error));
    // A real file cut short is refused, never read past its end.
    std::string full;
    {
        auto tz = load_time_zone("Europe/Berlin", error);
        BOOST_REQUIRE(tz);
        std::FILE* f = std::fopen("/usr/share/zoneinfo/Europe/Berlin", "rb");
        char buf[8192];
        full.assign(buf, std::fread(buf, 1, sizeof buf, f));
        std::fclose(f);
    }
    for (std::size_t cut = 0; cut < full.size(); ++cut)
        BOOST_TEST(!TimeZone::from_tzif(full.substr(0, cut), "x", error), "cut at " << cut);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(zoned_cron)

namespace {
std::string next_in(const std::string& spec, const std::string& after) {
    std::string error;
    const auto s = parse(spec, error, [](const std::string& n, std::string& e) { return load_time_zone(n, e); });
    BOOST_REQUIRE_MESSAGE(s, error);
    const auto a = parse_rfc3339(after);
    BOOST_REQUIRE(a);
    const auto n = next_after(*s, *a);
    return n ? format_rfc3339(*n) : "never";
}
}  // namespace

BOOST_AUTO_TEST_CASE(local_wall_times_through_the_clock_changes) {
    const std::string daily = "TZ=Europe/Berlin 0 30 2 * * *";
    BOOST_TEST(next_in(daily, "2026-11-24T00:00:00Z") == "2026-11-24T01:30:00.000Z");  // CET, +1
    BOOST_TEST(next_in(daily, "2026-07-01T00:00:00Z") == "2026-07-01T00:30:00.000Z");  // CEST, +2
    // 2026-03-29: 02:00 becomes 03:00, so 02:30 never shows: it fires at the change.
    BOOST_TEST(next_in(daily, "2026-03-28T12:00:00Z") == "2026-03-29T01:00:00.000Z");
    BOOST_TEST(next_in(daily, "2026-03-29T01:00:00Z") == "2026-03-30T00:30:00.000Z");
    // 2026-10-25: 03:00 becomes 02:00, so 02:30 shows twice: it fires the first time only.
    BOOST_TEST(next_in(daily, "2026-10-24T12:00:00Z") == "2026-10-25T00:30:00.000Z");
    BOOST_TEST(next_in(daily, "2026-10-25T00:30:00Z") == "2026-10-26T01:30:00.000Z");
    BOOST_TEST(next_in("CRON_TZ=America/New_York 0 0 9 * * MON-FRI", "2026-11-27T15:00:00Z") ==
               "2026-11-30T14:00:00.000Z");
    BOOST_TEST(next_in("TZ=Asia/Kolkata @daily", "2026-11-24T00:00:00Z") == "2026-11-24T18:30:00.000Z");
    // Frequent schedules keep their real-time pace across a change.
    BOOST_TEST(next_in("TZ=Europe/Berlin */10 * * * * *", "2026-03-29T00:59:55Z") == "2026-03-29T01:00:00.000Z");
    BOOST_TEST(next_in("TZ=Europe/Berlin */10 * * * * *", "2026-03-29T01:00:00Z") == "2026-03-29T01:00:10.000Z");
}

BOOST_AUTO_TEST_CASE(zones_that_are_not_or_cannot_be) {
    std::string error;
    auto loader = [](const std::string& n, std::string& e) { return load_time_zone(n, e); };
    BOOST_TEST(!parse("TZ=Mars/Olympus_Mons 0 * * * * *", error, loader));
    BOOST_TEST(error.find("'Mars/Olympus_Mons' is not in") != std::string::npos, error);
    BOOST_TEST(!parse("TZ=Europe/Berlin 0 * * * * *", error));
    BOOST_TEST(error.find("time zones are not available here") != std::string::npos, error);
    BOOST_TEST(!parse("TZ=UTC @every 5s", error, loader));
    BOOST_TEST(!parse("TZ=UTC", error, loader));
    BOOST_TEST(!parse("TZ=UTC @at 2026-12-01T09:00:00Z", error, loader));
}

BOOST_AUTO_TEST_SUITE_END()
