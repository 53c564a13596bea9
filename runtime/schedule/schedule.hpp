#pragma once
// When an operation fires: a cron expression with seconds, a fixed interval, or one
// instant. Pure scheduling math on UTC milliseconds since the epoch: the leader's
// scheduler asks for the next slot, and the slot's time names the fire in the log (so a
// slot is fired once, whoever leads).
//
//   "*/5 * * * * *"      cron with seconds: sec min hour day-of-month month day-of-week
//   "0 30 2 * * MON-FRI" names for months and days; lists, ranges and steps
//   "30 2 * * *"         five fields: seconds are 0
//   "@daily", "@hourly", "@weekly", "@monthly", "@yearly"
//   "@every 5s", "@every 1m30s", "@every 250ms"
//   "@at 2026-12-01T09:00:00Z", "@at 2026-12-01T10:00:00+01:00"
//   "TZ=Europe/Berlin 0 30 2 * * *"  cron in a time zone (CRON_TZ= too); UTC otherwise.
//      A local time skipped by a clock change fires once, when the change happens; a
//      local time that occurs twice fires once, the first time.
#include <bitset>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/schedule/time_zone.hpp"

namespace raftor::schedule {

struct Schedule {
    enum class Kind : std::uint8_t { cron, every, at } kind = Kind::cron;
    // cron
    std::bitset<60> seconds, minutes;
    std::bitset<24> hours;
    std::bitset<32> days;                     // 1..31
    std::bitset<13> months;                   // 1..12
    std::bitset<7> weekdays;                  // 0 = Sunday
    bool any_day = true, any_weekday = true;  // "*": then only the other one restricts
    // every: the interval; slots are multiples of it since the epoch, so every node
    // computes the same ones
    std::int64_t every_ms = 0;
    // at
    std::int64_t at_ms = 0;
    std::shared_ptr<const TimeZone> zone;  // cron: the zone its fields are read in (null: UTC)
    std::string text;                      // as given
};

// Finds a zone by name (load_time_zone in tz_file.hpp, or a test's own).
using ZoneLoader = std::function<std::optional<TimeZone>(const std::string& name, std::string& error)>;

// Nothing on bad input; `error` names the part that is wrong. Without `zones`, a
// schedule naming a time zone is refused.
std::optional<Schedule> parse(std::string_view spec, std::string& error, const ZoneLoader& zones = {});

// The first slot strictly after `after_ms`; nothing when there is none (an @at already
// past, or a cron that can never match such as "0 0 0 30 2 *").
std::optional<std::int64_t> next_after(const Schedule& s, std::int64_t after_ms);

// RFC 3339 ("2026-12-01T09:00:00Z", fractions and offsets allowed) -> UTC ms.
std::optional<std::int64_t> parse_rfc3339(std::string_view text);
std::string format_rfc3339(std::int64_t ms);  // UTC, with milliseconds

}  // namespace raftor::schedule
