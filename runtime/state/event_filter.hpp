#pragma once
// An event trigger's filter on the event body: each entry a dotted path into the body
// (a JSON object) and the JSON scalar that must be there. All must match; a body that
// is not a JSON object matches no filter. Decided by the state machine, so every
// replica fires the same operations.
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace raftor::state {

// path -> the expected value, as compact JSON ("\"prod\"", "3", "true", "null")
using EventFilter = std::map<std::string, std::string>;

constexpr std::size_t event_filter_max = 16;

// The body read once for every filter it is checked against: nullopt when it is not a
// JSON object.
std::optional<nlohmann::json> event_body(std::string_view body);
bool event_matches(const EventFilter& filter, const std::optional<nlohmann::json>& body);

}  // namespace raftor::state
