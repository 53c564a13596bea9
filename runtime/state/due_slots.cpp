#include "runtime/state/due_slots.hpp"

namespace raftor::state {

DueSlots due_slots(const schedule::Schedule& s, std::int64_t last_slot_ms, std::int64_t now_ms, CatchUp policy,
                   std::int64_t grace_ms, std::size_t max) {
    DueSlots out;
    std::optional<std::int64_t> slot = schedule::next_after(s, last_slot_ms);
    std::optional<std::int64_t> latest;
    // Walking missed slots is bounded: a long outage of a 1 s schedule is a day of
    // slots at most before `once` and `skip` jump to the end.
    std::size_t walked = 0;
    while (slot && *slot <= now_ms) {
        if (policy == CatchUp::all) {
            if (out.fire.size() >= max) {
                out.next = *slot;  // more are due: look again at once
                return out;
            }
            out.fire.push_back(*slot);
        }
        latest = slot;
        if (++walked > 100'000) break;
        slot = schedule::next_after(s, *slot);
    }
    if (policy != CatchUp::all && latest) {
        if (policy == CatchUp::once || now_ms - *latest <= grace_ms) out.fire.push_back(*latest);
    }
    out.next = slot;
    return out;
}

bool scan_now(std::int64_t now_ms, std::int64_t next_due_ms, std::int64_t scanned_at_ms) {
    return now_ms >= next_due_ms || now_ms < scanned_at_ms;
}

}  // namespace raftor::state
