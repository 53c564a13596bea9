#include "runtime/state/start_plan.hpp"

namespace raftor::state {

std::size_t ExecutorLoad::room() const {
    const std::size_t busy = running.size() + starting.size() + finishes_pending;
    return max_concurrent > busy ? max_concurrent - busy : 0;
}

StartPlan plan_starts(const OpsMachine& m, const ExecutorLoad& load, std::int64_t now_ms) {
    StartPlan out;
    for (const auto& [id, attempt] : load.running) {
        // Final executions are not active: those are gone too.
        auto e = m.active().find(id);
        if (e == m.active().end() || e->second.status != ExecStatus::running || e->second.attempt != attempt)
            out.gone.push_back(id);
    }
    // With every slot taken there is nothing to start and no retry to wake for: the
    // next finish plans again.
    const std::size_t room = load.room();
    for (const auto& [id, e] : m.active()) {
        if (out.start.size() >= room) break;
        if (load.starting.count(id) || load.running.count(id)) continue;
        if (e.status == ExecStatus::running) continue;  // another leader's try, until recover resolves it
        if (e.status == ExecStatus::retrying && e.retry_at_ms > now_ms) {
            if (!out.wake_ms || e.retry_at_ms < *out.wake_ms) out.wake_ms = e.retry_at_ms;
            continue;
        }
        const OperationEntry* op = m.operation(e.operation);
        if (!op) continue;
        out.start.push_back(StartCandidate{id, e.attempt + 1, op->spec, e.input});
    }
    return out;
}

}  // namespace raftor::state
