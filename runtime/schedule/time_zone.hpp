#pragma once
// Time zones for cron schedules: the offset from UTC at any instant, from a TZif file
// (RFC 8536, as in /usr/share/zoneinfo) and its POSIX rule for the years after its table.
// Parsing is pure; reading the file is in tz_file.hpp.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace raftor::schedule {

class TimeZone {
public:
    static TimeZone utc();
    // A TZif file's bytes; nothing (and `error` says why) when they are not one.
    static std::optional<TimeZone> from_tzif(std::string_view bytes, std::string name, std::string& error);
    // A POSIX TZ rule such as "CET-1CEST,M3.5.0,M10.5.0/3" alone.
    static std::optional<TimeZone> from_posix(std::string_view rule, std::string name, std::string& error);

    // Seconds east of UTC at the UTC instant `utc_sec`.
    std::int64_t offset_at(std::int64_t utc_sec) const;
    const std::string& name() const { return name_; }

    struct Rule {                                     // a POSIX TZ rule's DST part ("Mm.w.d/time" twice)
        std::int64_t std_offset = 0, dst_offset = 0;  // seconds east of UTC
        bool has_dst = false;
        unsigned start_month = 0, start_week = 0, start_day = 0, end_month = 0, end_week = 0, end_day = 0;
        std::int64_t start_time = 7200, end_time = 7200;  // local seconds after midnight
    };

private:
    std::string name_ = "UTC";
    std::int64_t initial_ = 0;           // before the first transition
    std::vector<std::int64_t> times_;    // transitions, UTC seconds, ascending
    std::vector<std::int64_t> offsets_;  // the offset from each transition on
    std::optional<Rule> rule_;           // after the last transition
};

}  // namespace raftor::schedule
