#pragma once
// Structured logs: an event name and fields, as "event k=v ..." text or as one JSON
// object per line (logJson). Role, term and membership changes go through here, so an
// operator can grep them or feed them to a log pipeline.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace raftor::logging {

enum class Level { trace, debug, info, warn, error, critical, off };

// Sets the level ("trace".."critical", "off") and format once, at start-up.
// Returns false when the level is not one of those.
bool init(const std::string& level, bool json, const std::string& node);
bool parse_level(const std::string& s, Level& out);

// The node's Raft position (term, commit index), set by the raft peer as it changes and
// added to every line that does not name its own, so any event can be placed in the log.
void set_position(std::uint64_t term, std::uint64_t index);

using Field = std::pair<std::string_view, std::string>;
void event(Level lvl, std::string_view name, std::initializer_list<Field> fields);
// An event that also carries a fixed phrase for people and runbooks to grep ("leader
// elected"), as msg="..." after the node's name (or "msg" in JSON).
void said(Level lvl, std::string_view name, std::string_view phrase, std::initializer_list<Field> fields);

inline void info(std::string_view name, std::initializer_list<Field> fields = {}) {
    event(Level::info, name, fields);
}
inline void warn(std::string_view name, std::initializer_list<Field> fields = {}) {
    event(Level::warn, name, fields);
}
inline void error(std::string_view name, std::initializer_list<Field> fields = {}) {
    event(Level::error, name, fields);
}

}  // namespace raftor::logging
