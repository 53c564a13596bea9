#pragma once
// Which slots of a schedule the leader fires now, by the operation's catch-up policy.
// Pure: the scheduler actor passes the wall clock in.
//   all:  every slot after the last fired, up to now, in order;
//   once: only the latest slot due (missed ones collapse into it);
//   skip: the latest slot due only if it is no later than `grace_ms` - a slot missed
//         by more is dropped, and the schedule resumes with its next slot.
#include <cstdint>
#include <optional>
#include <vector>

#include "runtime/schedule/schedule.hpp"
#include "runtime/state/operation.hpp"

namespace raftor::state {

struct DueSlots {
    std::vector<std::int64_t> fire;    // slots to propose, oldest first
    std::optional<std::int64_t> next;  // the next slot after those (when to look again)
};

DueSlots due_slots(const schedule::Schedule& s, std::int64_t last_slot_ms, std::int64_t now_ms, CatchUp policy,
                   std::int64_t grace_ms, std::size_t max);

// Whether the scheduler, woken at `now_ms`, reads the state again: when the next slot
// it computed is due, or when the clock reads earlier than at that computation. After
// a step back, the slots fired at the later time may have failed (a refused proposal),
// and the next slot computed then lies as far ahead as the step: waiting for it
// starved every schedule for that long.
bool scan_now(std::int64_t now_ms, std::int64_t next_due_ms, std::int64_t scanned_at_ms);

}  // namespace raftor::state
