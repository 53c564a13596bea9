#include "runtime/schedule/time_zone.hpp"

#include <algorithm>

#include "runtime/schedule/civil.hpp"

namespace raftor::schedule {

using namespace civil;

namespace {

std::int64_t be(std::string_view b, std::size_t at, std::size_t n) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = v << 8 | static_cast<unsigned char>(b[at + i]);
    // Sign-extend 4-byte values.
    if (n == 4) return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
    return static_cast<std::int64_t>(v);
}

// A POSIX TZ rule, piece by piece.
struct PosixParser {
    std::string_view s;
    std::size_t at = 0;

    bool name() {
        if (at < s.size() && s[at] == '<') {
            const auto close = s.find('>', at);
            if (close == std::string_view::npos) return false;
            at = close + 1;
            return true;
        }
        const std::size_t from = at;
        while (at < s.size() && ((s[at] >= 'A' && s[at] <= 'Z') || (s[at] >= 'a' && s[at] <= 'z'))) ++at;
        return at - from >= 3;
    }
    bool num(std::int64_t& v, std::size_t max_digits) {
        const std::size_t from = at;
        v = 0;
        while (at < s.size() && s[at] >= '0' && s[at] <= '9' && at - from < max_digits) v = v * 10 + (s[at++] - '0');
        return at > from;
    }
    // [+|-]hh[:mm[:ss]] in seconds.
    bool time(std::int64_t& secs) {
        int sign = 1;
        if (at < s.size() && (s[at] == '+' || s[at] == '-')) sign = s[at++] == '-' ? -1 : 1;
        std::int64_t h = 0, m = 0, sec = 0;
        if (!num(h, 3) || h > 167) return false;
        if (at < s.size() && s[at] == ':') {
            ++at;
            if (!num(m, 2) || m > 59) return false;
            if (at < s.size() && s[at] == ':') {
                ++at;
                if (!num(sec, 2) || sec > 59) return false;
            }
        }
        secs = sign * (h * 3600 + m * 60 + sec);
        return true;
    }
    bool date(unsigned& month, unsigned& week, unsigned& day, std::int64_t& secs) {
        if (at >= s.size() || s[at] != 'M') return false;  // only the Mm.w.d form (all of tzdata uses it)
        ++at;
        std::int64_t m = 0, w = 0, d = 0;
        if (!num(m, 2) || at >= s.size() || s[at++] != '.' || !num(w, 1) || at >= s.size() || s[at++] != '.' ||
            !num(d, 1) || m < 1 || m > 12 || w < 1 || w > 5 || d > 6)
            return false;
        month = static_cast<unsigned>(m);
        week = static_cast<unsigned>(w);
        day = static_cast<unsigned>(d);
        secs = 7200;
        if (at < s.size() && s[at] == '/') {
            ++at;
            if (!time(secs)) return false;
        }
        return true;
    }
};

// Local midnight-relative seconds of "the w-th d-day of month m" in year y, as days.
std::int64_t rule_day(std::int64_t y, unsigned m, unsigned w, unsigned d) {
    const std::int64_t first = days_from_civil(y, m, 1);
    const unsigned first_wd = weekday_of(first);
    std::int64_t day = 1 + static_cast<std::int64_t>((d + 7 - first_wd) % 7) + 7 * static_cast<std::int64_t>(w - 1);
    while (day > days_in_month(y, m)) day -= 7;  // week 5: the last one
    return first + day - 1;
}

std::int64_t rule_offset(const TimeZone::Rule& r, std::int64_t t) {
    if (!r.has_dst) return r.std_offset;
    std::int64_t y;
    unsigned mo, d;
    civil_from_days(floor_div(t + r.std_offset, 86'400), y, mo, d);
    const std::int64_t start =
        rule_day(y, r.start_month, r.start_week, r.start_day) * 86'400 + r.start_time - r.std_offset;
    const std::int64_t end = rule_day(y, r.end_month, r.end_week, r.end_day) * 86'400 + r.end_time - r.dst_offset;
    const bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);  // southern hemisphere
    return dst ? r.dst_offset : r.std_offset;
}

}  // namespace

TimeZone TimeZone::utc() {
    return TimeZone();
}

std::optional<TimeZone> TimeZone::from_posix(std::string_view rule, std::string name, std::string& error) {
    PosixParser p{rule};
    Rule r;
    std::int64_t std_west = 0;
    auto fail = [&](const char* why) -> std::optional<TimeZone> {
        error = "time zone rule '" + std::string(rule) + "': " + why;
        return std::nullopt;
    };
    if (!p.name()) return fail("no standard-time name");
    if (!p.time(std_west)) return fail("no standard-time offset");
    r.std_offset = -std_west;  // POSIX offsets count west of UTC
    if (p.at < rule.size()) {
        if (!p.name()) return fail("a bad daylight-time name");
        r.has_dst = true;
        r.dst_offset = r.std_offset + 3600;
        if (p.at < rule.size() && rule[p.at] != ',') {
            std::int64_t dst_west = 0;
            if (!p.time(dst_west)) return fail("a bad daylight-time offset");
            r.dst_offset = -dst_west;
        }
        if (p.at >= rule.size() || rule[p.at++] != ',' ||
            !p.date(r.start_month, r.start_week, r.start_day, r.start_time) || p.at >= rule.size() ||
            rule[p.at++] != ',' || !p.date(r.end_month, r.end_week, r.end_day, r.end_time))
            return fail("daylight time needs ,Mm.w.d[/time],Mm.w.d[/time]");
        if (p.at != rule.size()) return fail("unexpected text at the end");
    }
    TimeZone tz;
    tz.name_ = std::move(name);
    tz.initial_ = r.std_offset;
    tz.rule_ = r;
    return tz;
}

std::optional<TimeZone> TimeZone::from_tzif(std::string_view b, std::string name, std::string& error) {
    auto fail = [&](const std::string& why) -> std::optional<TimeZone> {
        error = "time zone '" + name + "': " + why;
        return std::nullopt;
    };
    if (b.size() < 44 || b.substr(0, 4) != "TZif") return fail("not a TZif file");
    const char version = b[4];
    // The counts of a header at `h`: isutcnt isstdcnt leapcnt timecnt typecnt charcnt.
    auto counts = [&](std::size_t h, std::array<std::int64_t, 6>& c) {
        if (h + 44 > b.size()) return false;
        for (int i = 0; i < 6; ++i) c[i] = be(b, h + 20 + 4 * i, 4);
        return std::all_of(c.begin(), c.end(), [](std::int64_t v) { return v >= 0 && v < 1'000'000; });
    };
    std::array<std::int64_t, 6> c{};
    if (!counts(0, c)) return fail("a damaged header");
    auto block_size = [&](const std::array<std::int64_t, 6>& k, std::size_t tsize) {
        return static_cast<std::size_t>(k[3] * tsize + k[3] + k[4] * 6 + k[5] + k[2] * (tsize + 4) + k[1] + k[0]);
    };
    std::size_t h = 0, tsize = 4;
    if (version >= '2') {
        h = 44 + block_size(c, 4);  // skip the 32-bit block: the 64-bit one follows
        tsize = 8;
        if (h >= b.size() || b.substr(h, 4) != "TZif" || !counts(h, c)) return fail("a damaged 64-bit header");
    }
    const std::size_t data = h + 44;
    if (data + block_size(c, tsize) > b.size()) return fail("truncated");
    const auto timecnt = static_cast<std::size_t>(c[3]), typecnt = static_cast<std::size_t>(c[4]);
    if (typecnt == 0) return fail("no local time types");
    TimeZone tz;
    tz.name_ = name;
    const std::size_t idx = data + timecnt * tsize, types = idx + timecnt;
    auto type_offset = [&](std::size_t t) { return be(b, types + 6 * t, 4); };
    for (std::size_t i = 0; i < timecnt; ++i) {
        const auto type = static_cast<unsigned char>(b[idx + i]);
        if (type >= typecnt) return fail("a transition names local time type " + std::to_string(type));
        const std::int64_t when = be(b, data + i * tsize, tsize);
        if (!tz.times_.empty() && when <= tz.times_.back()) return fail("transitions out of order");
        tz.times_.push_back(when);
        tz.offsets_.push_back(type_offset(type));
    }
    tz.initial_ = type_offset(0);
    if (version >= '2') {
        // The footer: "\n<POSIX rule>\n", for instants after the last transition.
        const std::size_t f = data + block_size(c, tsize);
        const auto end = f < b.size() && b[f] == '\n' ? b.find('\n', f + 1) : std::string_view::npos;
        if (end == std::string_view::npos) return fail("truncated (no footer)");
        const std::string_view rule = b.substr(f + 1, end - f - 1);
        if (!rule.empty()) {
            std::string why;
            auto posix = from_posix(rule, name, why);
            if (!posix) return fail(why);
            tz.rule_ = posix->rule_;
        }
    }
    return tz;
}

std::int64_t TimeZone::offset_at(std::int64_t t) const {
    if (times_.empty() || t >= times_.back()) {
        if (rule_) return rule_offset(*rule_, t);
        return times_.empty() ? initial_ : offsets_.back();
    }
    const auto it = std::upper_bound(times_.begin(), times_.end(), t);
    if (it == times_.begin()) return initial_;
    return offsets_[static_cast<std::size_t>(it - times_.begin()) - 1];
}

}  // namespace raftor::schedule
