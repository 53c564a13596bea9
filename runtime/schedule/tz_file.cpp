#include "runtime/schedule/tz_file.hpp"

#include <fstream>
#include <sstream>

namespace raftor::schedule {

std::optional<TimeZone> load_time_zone(const std::string& name, std::string& error, const std::string& dir) {
    if (name == "UTC" || name == "Etc/UTC" || name == "Z") return TimeZone::utc();
    // Only names, never paths: no "..", no leading "/", a known alphabet.
    const bool sane = !name.empty() && name.size() < 128 && name.front() != '/' &&
                      name.find("..") == std::string::npos &&
                      name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-") ==
                          std::string::npos;
    if (!sane) {
        error = "time zone '" + name + "' is not a zone name like Europe/Berlin";
        return std::nullopt;
    }
    std::ifstream in(dir + "/" + name, std::ios::binary);
    if (!in) {
        error = "time zone '" + name + "' is not in " + dir;
        return std::nullopt;
    }
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return TimeZone::from_tzif(bytes.str(), name, error);
}

}  // namespace raftor::schedule
