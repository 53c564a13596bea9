#pragma once
// The slots a replay lists (POST /daemon/replay): every slot each schedule had from
// `since` to `now`, none before the schedule was set. Pure: the zones are injected.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/schedule/schedule.hpp"
#include "runtime/state/ops_command.hpp"

namespace raftor::state {

struct ScheduledOperation {
    std::string id;
    std::string schedule;
    std::int64_t set_ms = 0;  // when the schedule was set
};

// Nothing, with `error` saying so, when there are more than `max` slots.
std::optional<std::vector<FireSlot>> replay_slots(const std::vector<ScheduledOperation>& ops, std::int64_t since_ms,
                                                  std::int64_t now_ms, const schedule::ZoneLoader& zones,
                                                  std::size_t max, std::string& error);

}  // namespace raftor::state
