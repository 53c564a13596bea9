#include "tests/chaos/fires.hpp"

#include <algorithm>

namespace raftor::chaos {

FireCheck check_fires(std::vector<std::int64_t> slots, std::int64_t period_ms, std::int64_t from_ms,
                      std::int64_t until_ms, std::int64_t tolerance_ms) {
    FireCheck c;
    std::sort(slots.begin(), slots.end());
    if (slots.empty()) {
        c.explanation = "no slot fired";
        return c;
    }
    const std::int64_t first = slots.front();
    std::int64_t last = first;
    std::string what;
    for (std::size_t i = 0; i < slots.size(); ++i) {
        if (i > 0 && slots[i] == slots[i - 1]) {
            if (c.duplicates++ == 0) what = "slot " + std::to_string(slots[i]) + " fired twice";
            continue;
        }
        ++c.seen;
        if ((slots[i] - first) % period_ms != 0 && what.empty())
            what = "slot " + std::to_string(slots[i]) + " is not on the period from " + std::to_string(first);
        last = slots[i];
    }
    // The last slot that had to fire: the latest one at least `tolerance_ms` before the
    // end, or a later one that did fire.
    std::int64_t due = first;
    while (due + period_ms <= until_ms - tolerance_ms) due += period_ms;
    const std::int64_t end = std::max(last, due);
    c.expected = static_cast<std::uint64_t>((end - first) / period_ms + 1);
    c.missing = c.expected > c.seen ? c.expected - c.seen : 0;
    if (what.empty() && first > from_ms + period_ms + tolerance_ms)
        what = "the first slot " + std::to_string(first) + " is " + std::to_string(first - from_ms) +
               " ms after the schedule was registered";
    if (what.empty() && first < from_ms - tolerance_ms)
        what = "slot " + std::to_string(first) + " is before the schedule was registered (" + std::to_string(from_ms) +
               ")";
    if (what.empty() && c.missing > 0) {
        for (std::int64_t s = first; s <= end; s += period_ms)
            if (!std::binary_search(slots.begin(), slots.end(), s)) {
                what = std::to_string(c.missing) + " slot(s) never fired, the first " + std::to_string(s);
                break;
            }
    }
    c.ok = what.empty();
    c.explanation = what;
    return c;
}

}  // namespace raftor::chaos
