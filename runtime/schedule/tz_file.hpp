#pragma once
// Reads a time zone from the system's zone database (/usr/share/zoneinfo on Debian).
#include <optional>
#include <string>

#include "runtime/schedule/time_zone.hpp"

namespace raftor::schedule {

// "Europe/Berlin", "UTC", "America/New_York": nothing, and `error` names the zone and
// the reason, when the name is not a zone.
std::optional<TimeZone> load_time_zone(const std::string& name, std::string& error,
                                       const std::string& dir = "/usr/share/zoneinfo");

}  // namespace raftor::schedule
