#include "runtime/schedule/schedule.hpp"

#include <array>
#include <cstdio>
#include <vector>

#include "runtime/schedule/civil.hpp"

namespace raftor::schedule {

using namespace civil;

namespace {

std::vector<std::string_view> split(std::string_view s, char by) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= s.size(); ++i)
        if (i == s.size() || s[i] == by) {
            out.push_back(s.substr(start, i - start));
            start = i + 1;
        }
    return out;
}

std::optional<unsigned> number(std::string_view s) {
    if (s.empty() || s.size() > 4) return std::nullopt;
    unsigned v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    return v;
}

struct FieldSpec {
    const char* name;
    unsigned lo, hi;
    const char* const* names;  // for months (from 1) and weekdays (from 0); may be null
};

constexpr const char* month_names[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",  "JUL",
                                       "AUG", "SEP", "OCT", "NOV", "DEC", nullptr};
constexpr const char* day_names[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", nullptr};

std::optional<unsigned> value_of(std::string_view s, const FieldSpec& f) {
    if (auto n = number(s)) return n;
    if (f.names == nullptr || s.size() != 3) return std::nullopt;
    std::string up(s);
    for (char& c : up) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
    for (unsigned i = 0; f.names[i] != nullptr; ++i)
        if (up == f.names[i]) return i + (f.lo == 1 ? 1 : 0);
    return std::nullopt;
}

// One field: "*", "*/n", "a", "a-b", "a-b/n", "a/n", comma lists of those.
template <std::size_t N>
bool parse_field(std::string_view text, const FieldSpec& f, std::bitset<N>& out, bool* any, std::string& error) {
    if (any != nullptr) *any = text == "*";
    for (std::string_view item : split(text, ',')) {
        auto fail = [&](const std::string& why) {
            error = std::string(f.name) + " field '" + std::string(text) + "': " + why;
            return false;
        };
        if (item.empty()) return fail("an empty list item");
        unsigned step = 1;
        const auto slash = item.find('/');
        std::string_view range = item.substr(0, slash);
        if (slash != std::string_view::npos) {
            auto st = number(item.substr(slash + 1));
            if (!st || *st == 0)
                return fail("step '" + std::string(item.substr(slash + 1)) + "' is not a positive number");
            step = *st;
        }
        unsigned lo = f.lo, hi = f.hi;
        if (range != "*") {
            const auto dash = range.find('-');
            auto a = value_of(range.substr(0, dash), f);
            if (!a) return fail("'" + std::string(range.substr(0, dash)) + "' is not a number or a name");
            lo = *a;
            hi = slash != std::string_view::npos && dash == std::string_view::npos ? f.hi : lo;
            if (dash != std::string_view::npos) {
                auto b = value_of(range.substr(dash + 1), f);
                if (!b) return fail("'" + std::string(range.substr(dash + 1)) + "' is not a number or a name");
                hi = *b;
            }
        }
        // Day of week 7 is Sunday too.
        const unsigned top = f.names == day_names ? 7 : f.hi;
        if (lo < f.lo || hi > top || lo > hi)
            return fail(std::to_string(lo) + "-" + std::to_string(hi) + " is outside " + std::to_string(f.lo) + "-" +
                        std::to_string(top) + (lo > hi ? " or backwards" : ""));
        for (unsigned v = lo; v <= hi; v += step) out.set(v == 7 && f.names == day_names ? 0 : v);
    }
    return true;
}

std::optional<std::int64_t> parse_interval_ms(std::string_view s) {
    // Go-style durations: "1h30m", "5s", "250ms".
    std::int64_t total = 0;
    std::size_t i = 0;
    if (s.empty()) return std::nullopt;
    while (i < s.size()) {
        std::size_t j = i;
        std::int64_t n = 0;
        while (j < s.size() && s[j] >= '0' && s[j] <= '9' && j - i < 9) n = n * 10 + (s[j++] - '0');
        if (j == i) return std::nullopt;
        std::size_t k = j;
        while (k < s.size() && (s[k] < '0' || s[k] > '9')) ++k;
        const std::string_view unit = s.substr(j, k - j);
        std::int64_t scale = 0;
        if (unit == "ms")
            scale = 1;
        else if (unit == "s")
            scale = 1000;
        else if (unit == "m")
            scale = 60'000;
        else if (unit == "h")
            scale = 3'600'000;
        else if (unit == "d")
            scale = 86'400'000;
        else
            return std::nullopt;
        total += n * scale;
        i = k;
    }
    return total;
}

}  // namespace

std::optional<std::int64_t> parse_rfc3339(std::string_view t) {
    // YYYY-MM-DDTHH:MM:SS[.fff][Z|±HH:MM]
    auto digits = [&](std::size_t at, std::size_t n) -> std::optional<unsigned> {
        if (at + n > t.size()) return std::nullopt;
        return number(t.substr(at, n));
    };
    if (t.size() < 20 || t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != 't' && t[10] != ' ') || t[13] != ':' ||
        t[16] != ':')
        return std::nullopt;
    auto y = digits(0, 4), mo = digits(5, 2), d = digits(8, 2), h = digits(11, 2), mi = digits(14, 2),
         s = digits(17, 2);
    if (!y || !mo || !d || !h || !mi || !s || *mo < 1 || *mo > 12 || *d < 1 || *d > days_in_month(*y, *mo) || *h > 23 ||
        *mi > 59 || *s > 59)
        return std::nullopt;
    std::size_t at = 19;
    std::int64_t ms = 0;
    if (at < t.size() && t[at] == '.') {
        std::size_t j = ++at;
        std::int64_t scale = 100;
        while (j < t.size() && t[j] >= '0' && t[j] <= '9') {
            ms += (t[j] - '0') * scale;
            scale /= 10;
            ++j;
        }
        if (j == at) return std::nullopt;
        at = j;
    }
    std::int64_t offset_min = 0;
    if (at < t.size() && (t[at] == 'Z' || t[at] == 'z')) {
        ++at;
    } else if (at < t.size() && (t[at] == '+' || t[at] == '-')) {
        auto oh = digits(at + 1, 2), om = digits(at + 4, 2);
        if (!oh || !om || at + 3 >= t.size() || t[at + 3] != ':' || *oh > 23 || *om > 59) return std::nullopt;
        offset_min = (t[at] == '-' ? -1 : 1) * static_cast<std::int64_t>(*oh * 60 + *om);
        at += 6;
    } else {
        return std::nullopt;  // an instant needs its offset
    }
    if (at != t.size()) return std::nullopt;
    const std::int64_t days = days_from_civil(*y, *mo, *d);
    return ((days * 24 + *h) * 60 + *mi - offset_min) * 60'000 + static_cast<std::int64_t>(*s) * 1000 + ms;
}

std::string format_rfc3339(std::int64_t ms) {
    const std::int64_t days = floor_div(ms, 86'400'000);
    const std::int64_t in_day = ms - days * 86'400'000;
    std::int64_t y;
    unsigned m, d;
    civil_from_days(days, y, m, d);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ", static_cast<long long>(y), m, d,
                  static_cast<long long>(in_day / 3'600'000), static_cast<long long>(in_day / 60'000 % 60),
                  static_cast<long long>(in_day / 1000 % 60), static_cast<long long>(in_day % 1000));
    return buf;
}

std::optional<Schedule> parse(std::string_view spec, std::string& error, const ZoneLoader& zones) {
    Schedule s;
    s.text = std::string(spec);
    auto fail = [&](const std::string& why) -> std::optional<Schedule> {
        error = "schedule '" + std::string(spec) + "': " + why;
        return std::nullopt;
    };
    std::string_view body = spec;
    while (!body.empty() && body.front() == ' ') body.remove_prefix(1);
    while (!body.empty() && body.back() == ' ') body.remove_suffix(1);
    if (body.empty()) return fail("empty");
    if (body.rfind("TZ=", 0) == 0 || body.rfind("CRON_TZ=", 0) == 0) {
        const std::size_t eq = body.find('='), sp = body.find(' ');
        const std::string name(
            body.substr(eq + 1, sp == std::string_view::npos ? std::string_view::npos : sp - eq - 1));
        if (!zones) return fail("time zones are not available here");
        std::string why;
        auto tz = zones(name, why);
        if (!tz) return fail(why);
        s.zone = std::make_shared<const TimeZone>(std::move(*tz));
        body = sp == std::string_view::npos ? std::string_view() : body.substr(sp + 1);
        while (!body.empty() && body.front() == ' ') body.remove_prefix(1);
        if (body.empty() || body.rfind("@every", 0) == 0) return fail("a time zone needs a cron expression after it");
        if (body.rfind("@at", 0) == 0) return fail("an @at time carries its own offset; give no time zone");
    }
    if (body.rfind("@every", 0) == 0) {
        s.kind = Schedule::Kind::every;
        std::string_view arg = body.substr(6);
        while (!arg.empty() && arg.front() == ' ') arg.remove_prefix(1);
        auto ms = parse_interval_ms(arg);
        if (!ms) return fail("'" + std::string(arg) + "' is not a duration like 5s, 1m30s or 250ms");
        if (*ms < 10) return fail("an interval under 10ms is not a schedule");
        s.every_ms = *ms;
        return s;
    }
    if (body.rfind("@at", 0) == 0) {
        s.kind = Schedule::Kind::at;
        std::string_view arg = body.substr(3);
        while (!arg.empty() && arg.front() == ' ') arg.remove_prefix(1);
        auto ms = parse_rfc3339(arg);
        if (!ms) return fail("'" + std::string(arg) + "' is not an RFC 3339 time like 2026-12-01T09:00:00Z");
        s.at_ms = *ms;
        return s;
    }
    std::string expr(body);
    if (body.front() == '@') {
        if (body == "@yearly" || body == "@annually")
            expr = "0 0 0 1 1 *";
        else if (body == "@monthly")
            expr = "0 0 0 1 * *";
        else if (body == "@weekly")
            expr = "0 0 0 * * 0";
        else if (body == "@daily" || body == "@midnight")
            expr = "0 0 0 * * *";
        else if (body == "@hourly")
            expr = "0 0 * * * *";
        else
            return fail("unknown macro; known: @every, @at, @yearly, @monthly, @weekly, @daily, @hourly");
    }
    std::vector<std::string_view> fields;
    for (auto f : split(expr, ' '))
        if (!f.empty()) fields.push_back(f);
    if (fields.size() == 5) fields.insert(fields.begin(), "0");
    if (fields.size() != 6)
        return fail(std::to_string(fields.size()) +
                    " fields; a cron schedule has 6 (second minute hour day-of-month month day-of-week) or 5");
    static const FieldSpec specs[] = {{"second", 0, 59, nullptr},    {"minute", 0, 59, nullptr},
                                      {"hour", 0, 23, nullptr},      {"day-of-month", 1, 31, nullptr},
                                      {"month", 1, 12, month_names}, {"day-of-week", 0, 6, day_names}};
    std::string why;
    if (!parse_field(fields[0], specs[0], s.seconds, nullptr, why) ||
        !parse_field(fields[1], specs[1], s.minutes, nullptr, why) ||
        !parse_field(fields[2], specs[2], s.hours, nullptr, why) ||
        !parse_field(fields[3], specs[3], s.days, &s.any_day, why) ||
        !parse_field(fields[4], specs[4], s.months, nullptr, why) ||
        !parse_field(fields[5], specs[5], s.weekdays, &s.any_weekday, why))
        return fail(why);
    return s;
}

namespace {

// The first second strictly after `after_sec` whose calendar fields match, reading
// seconds as the schedule's wall clock (UTC or local).
std::optional<std::int64_t> next_wall_second(const Schedule& s, std::int64_t after_sec) {
    std::int64_t sec = after_sec + 1;  // strictly after
    std::int64_t days = floor_div(sec, 86'400);
    std::int64_t y;
    unsigned mo, d;
    civil_from_days(days, y, mo, d);
    std::int64_t rest = sec - days * 86'400;
    unsigned h = static_cast<unsigned>(rest / 3600), mi = static_cast<unsigned>(rest / 60 % 60),
             se = static_cast<unsigned>(rest % 60);
    const std::int64_t give_up = y + 10;  // covers Feb 29 across a century year
    auto next_day = [&] {
        h = mi = se = 0;
        if (++d > days_in_month(y, mo)) {
            d = 1;
            if (++mo > 12) {
                mo = 1;
                ++y;
            }
        }
    };
    while (y <= give_up) {
        if (!s.months[mo]) {
            h = mi = se = 0;
            d = 1;
            if (++mo > 12) {
                mo = 1;
                ++y;
            }
            continue;
        }
        const std::int64_t day_no = days_from_civil(y, mo, d);
        const bool dom = s.days[d], dow = s.weekdays[weekday_of(day_no)];
        const bool day_ok = s.any_day && s.any_weekday ? true : s.any_day ? dow : s.any_weekday ? dom : (dom || dow);
        if (!day_ok) {
            next_day();
            continue;
        }
        if (!s.hours[h]) {
            mi = se = 0;
            if (++h == 24) next_day();
            continue;
        }
        if (!s.minutes[mi]) {
            se = 0;
            if (++mi == 60) {
                mi = 0;
                if (++h == 24) next_day();
            }
            continue;
        }
        if (!s.seconds[se]) {
            if (++se == 60) {
                se = 0;
                if (++mi == 60) {
                    mi = 0;
                    if (++h == 24) next_day();
                }
            }
            continue;
        }
        return ((day_no * 24 + h) * 60 + mi) * 60 + static_cast<std::int64_t>(se);
    }
    return std::nullopt;
}

// The earliest instant whose local time in `tz` is `wall`; a wall time skipped by a
// clock change maps to the instant of the change.
std::int64_t earliest_instant(const TimeZone& tz, std::int64_t wall) {
    const std::int64_t before = tz.offset_at(wall - 86'400 * 2), after = tz.offset_at(wall + 86'400 * 2);
    std::optional<std::int64_t> best;
    for (std::int64_t off : {before, after}) {
        const std::int64_t u = wall - off;
        if (tz.offset_at(u) + u == wall && (!best || u < *best)) best = u;
    }
    if (best) return *best;
    // In a gap: the change lies between the two readings; find it.
    std::int64_t lo = wall - std::max(before, after), hi = wall - std::min(before, after);
    while (lo + 1 < hi) {
        const std::int64_t mid = lo + (hi - lo) / 2;
        (tz.offset_at(mid) == before ? lo : hi) = mid;
    }
    return hi;
}

}  // namespace

std::optional<std::int64_t> next_after(const Schedule& s, std::int64_t after_ms) {
    switch (s.kind) {
        case Schedule::Kind::at: return s.at_ms > after_ms ? std::optional(s.at_ms) : std::nullopt;
        case Schedule::Kind::every: return (floor_div(after_ms, s.every_ms) + 1) * s.every_ms;
        case Schedule::Kind::cron: break;
    }
    const std::int64_t after_sec = floor_div(after_ms, 1000);
    if (!s.zone) {
        auto w = next_wall_second(s, after_sec);
        return w ? std::optional(*w * 1000) : std::nullopt;
    }
    // Wall times from the one `after` shows on; each fires at its earliest instant, so
    // a wall time seen twice (clocks going back) fires once.
    std::int64_t wall = after_sec + s.zone->offset_at(after_sec);
    for (int guard = 0; guard < 100'000; ++guard) {
        auto w = next_wall_second(s, wall);
        if (!w) return std::nullopt;
        const std::int64_t u = earliest_instant(*s.zone, *w);
        if (u > after_sec) return u * 1000;
        wall = *w;
    }
    return std::nullopt;
}

}  // namespace raftor::schedule
