#include "runtime/state/ops_figures.hpp"

#include <algorithm>

namespace raftor::state {

void OpsFigures::add(const Execution& e) {
    add(e.status, e.started_ms != 0, e.duration_ms);
}

void OpsFigures::add(ExecStatus status, bool ran, std::uint64_t duration_ms) {
    ++by_status[static_cast<std::size_t>(status)];
    if (!ran) return;  // never ran: no duration
    const auto it = std::lower_bound(bounds.begin(), bounds.end(), duration_ms);
    ++buckets[static_cast<std::size_t>(it - bounds.begin())];
    ++duration_count;
    duration_sum_ms += duration_ms;
}

std::uint64_t OpsFigures::finished() const {
    std::uint64_t n = 0;
    for (auto c : by_status) n += c;
    return n;
}

std::uint64_t OpsFigures::errors() const {
    return of(ExecStatus::failed) + of(ExecStatus::timeout) + of(ExecStatus::interrupted);
}

double OpsFigures::success_rate() const {
    const std::uint64_t ran = of(ExecStatus::success) + errors();
    return ran == 0 ? 1.0 : static_cast<double>(of(ExecStatus::success)) / static_cast<double>(ran);
}

double OpsFigures::average_ms() const {
    return duration_count == 0 ? 0.0 : static_cast<double>(duration_sum_ms) / static_cast<double>(duration_count);
}

double OpsFigures::quantile_ms(double q) const {
    if (duration_count == 0) return 0.0;
    const double rank = std::clamp(q, 0.0, 1.0) * static_cast<double>(duration_count);
    std::uint64_t below = 0;
    for (std::size_t i = 0; i < buckets.size(); ++i) {
        if (static_cast<double>(below + buckets[i]) >= rank && buckets[i] > 0) {
            // The last bucket has no upper bound: its lower bound is the answer.
            if (i == bounds.size()) return static_cast<double>(bounds.back());
            const double lo = i == 0 ? 0.0 : static_cast<double>(bounds[i - 1]);
            const double hi = static_cast<double>(bounds[i]);
            return lo + (hi - lo) * (rank - static_cast<double>(below)) / static_cast<double>(buckets[i]);
        }
        below += buckets[i];
    }
    return static_cast<double>(bounds.back());
}

}  // namespace raftor::state
