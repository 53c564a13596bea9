#include "runtime/state/idle_due.hpp"

namespace raftor::state {

IdleDue idle_due(const OpsMachine& m, std::int64_t now_ms) {
    IdleDue out;
    if (m.busy() > 0) return out;  // the next finish that leaves the cluster idle plans again
    for (const auto& [id, e] : m.operations()) {
        if (e.spec.idle_threshold_ms == 0) continue;
        const std::int64_t from = m.idle_from_ms(e);
        if (e.idle_fired_for_ms == from) continue;  // fired for this period
        const std::int64_t due = from + static_cast<std::int64_t>(e.spec.idle_threshold_ms);
        if (due <= now_ms)
            out.fire.push_back(FireIdle{id, from});
        else if (!out.next_ms || due < *out.next_ms)
            out.next_ms = due;
    }
    return out;
}

}  // namespace raftor::state
