#include "runtime/state/replay_slots.hpp"

#include <algorithm>

namespace raftor::state {

std::optional<std::vector<FireSlot>> replay_slots(const std::vector<ScheduledOperation>& ops, std::int64_t since_ms,
                                                  std::int64_t now_ms, const schedule::ZoneLoader& zones,
                                                  std::size_t max, std::string& error) {
    std::vector<FireSlot> out;
    for (const auto& op : ops) {
        std::string why;
        auto s = schedule::parse(op.schedule, why, zones);
        if (!s) continue;  // checked when registered; a zone missing here: the scheduler says so
        std::int64_t after = std::max(since_ms - 1, op.set_ms);
        while (auto slot = schedule::next_after(*s, after)) {
            if (*slot > now_ms) break;
            if (out.size() == max) {
                error = "replaying since then would fire more than " + std::to_string(max) +
                        " schedule slots: replay a shorter window";
                return std::nullopt;
            }
            out.push_back(FireSlot{op.id, *slot});
            after = *slot;
        }
    }
    return out;
}

}  // namespace raftor::state
