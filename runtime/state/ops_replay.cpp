// POST /daemon/replay, as the state machine decides it: after a restore from a backup
// taken at T (or any loss), run again what did not happen since `since`:
//  - every listed schedule slot at or after `since` with no success, no execution
//    still active and no earlier replay fires once, with cause replay;
//  - every execution created since `since` that ended failed, timed out or interrupted
//    runs again once (a scheduled one through its slot, above), with cause replay and
//    its operation's retry policy; a replay's own failures are not replayed again.
// Everything is decided from the replicated state, so every replica creates the same
// executions, and a second replay of the same window finds nothing left to do.
#include <algorithm>
#include <map>
#include <set>

#include "runtime/schedule/schedule.hpp"
#include "runtime/state/ops_machine.hpp"

namespace raftor::state {

namespace {

bool lost(ExecStatus s) {
    return s == ExecStatus::failed || s == ExecStatus::timeout || s == ExecStatus::interrupted;
}

}  // namespace

std::int64_t OpsMachine::history_complete_from_ms(std::int64_t now_ms) const {
    if (history_.base_sequence() == 0) return INT64_MIN;  // nothing was ever dropped
    if (dropped_through_ms_ != 0) return dropped_through_ms_ + 1;
    // A snapshot from before the mark was kept: the oldest execution kept bounds it.
    return history_.empty() ? now_ms : history_.finished_ms(history_.base_sequence() + 1);
}

OpsResult OpsMachine::replay(const Replay& c, std::int64_t at_ms) {
    if (c.since_ms > at_ms) return {OpsResult::Code::refused, "since is in the future: nothing to replay yet", {}, 0};
    const std::int64_t complete = history_complete_from_ms(at_ms);
    if (c.since_ms < complete)
        return {OpsResult::Code::refused,
                "executions that finished before " + schedule::format_rfc3339(complete) +
                    " are no longer kept (history.retentionMs, receipts.retentionMs, historyMax), so what ran before "
                    "then is not known: "
                    "replay since " +
                    schedule::format_rfc3339(complete) + " or later",
                {},
                0};

    // What happened since `since`: every execution created from then on finished
    // after it, so the history is read backwards to the first that finished before.
    using Slot = std::pair<std::string, std::int64_t>;
    std::set<Slot> done;            // a success, an active execution or a replay: not again
    std::set<std::uint64_t> rerun;  // executions already run again by a replay
    std::vector<Execution> failed;  // lost in the window, oldest first
    auto note = [&](const Execution& e) {
        if (e.slot_ms != 0 && (e.status == ExecStatus::success || !is_final(e.status) || e.cause == Cause::replay))
            done.emplace(e.operation, e.slot_ms);
        if (e.replay_of != 0) rerun.insert(e.replay_of);
    };
    for (const auto& [id, e] : active_) note(e);
    for (std::uint64_t seq = history_.last_sequence(); seq > history_.base_sequence(); --seq) {
        // Finish times follow receipt order up to clock skew between leaders: a minute's
        // margin, so a success a skewed clock put early is still seen.
        Execution e = history_.at(seq);
        if (e.finished_ms < c.since_ms - 60'000) break;
        note(e);
        if (lost(e.status) && e.cause != Cause::replay && e.created_ms >= c.since_ms) failed.push_back(std::move(e));
    }
    std::reverse(failed.begin(), failed.end());

    struct Plan {
        std::string op;
        std::int64_t slot = 0;
        std::string input;
        std::uint64_t of = 0;
    };
    std::vector<Plan> plan;
    std::string not_run;
    auto skip = [&](const std::string& why) { not_run += (not_run.empty() ? "" : "; ") + why; };
    std::map<Slot, std::uint64_t> failed_slots;  // a slot's failed run in the window, the latest
    for (const Execution& e : failed)
        if (e.slot_ms != 0 && !rerun.count(e.id)) failed_slots[{e.operation, e.slot_ms}] = e.id;
    for (const FireSlot& f : c.slots) {
        if (f.slot_ms < c.since_ms || f.slot_ms > at_ms) continue;  // outside the window
        auto op = ops_.find(f.id);
        if (op == ops_.end() || !op->second.spec.schedule) continue;  // deleted or unscheduled since
        if (f.slot_ms <= op->second.schedule_set_ms) continue;        // not owed: before the schedule
        if (done.emplace(f.id, f.slot_ms).second) {
            auto was = failed_slots.find({f.id, f.slot_ms});
            plan.push_back(Plan{f.id, f.slot_ms, {}, was == failed_slots.end() ? 0 : was->second});
        }
    }
    for (const Execution& e : failed) {
        if (rerun.count(e.id)) continue;
        const std::string name = execution_id_string(e.id);
        if (ops_.find(e.operation) == ops_.end()) {
            skip(name + ": operation '" + e.operation + "' was deleted");
            continue;
        }
        if (e.slot_ms != 0) {
            // Its slot, unless a later run of that slot succeeded or is under way.
            if (done.emplace(e.operation, e.slot_ms).second) plan.push_back(Plan{e.operation, e.slot_ms, {}, e.id});
            continue;
        }
        if (input_hash_of(e.operation, e.operation_version, e.cause, e.slot_ms, e.input) != e.input_hash) {
            skip(name + ": its input was not kept (over " + std::to_string(final_input_max) + " bytes)");
            continue;
        }
        plan.push_back(Plan{e.operation, 0, e.input, e.id});
    }
    if (plan.size() > replay_max)
        return {OpsResult::Code::refused,
                "replaying since then would run " + std::to_string(plan.size()) + " executions, more than " +
                    std::to_string(replay_max) + ": replay a shorter window",
                {},
                0};

    OpsResult r;
    r.detail = not_run;
    for (const Plan& p : plan) {
        OperationEntry& op = ops_.find(p.op)->second;
        const std::uint64_t id = create(op, Cause::replay, p.input, at_ms, p.slot);
        active_.find(id)->second.replay_of = p.of;
        // The scheduler must not fire a slot the replay fired.
        if (p.slot > op.last_slot_ms) {
            op.last_slot_ms = p.slot;
            dirty_ops_.insert(p.op);
            changes_.schedules = true;
        }
        r.executions.push_back(id);
    }
    return r;
}

}  // namespace raftor::state
