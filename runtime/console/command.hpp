#pragma once
// The console's commands, parsed from a line the operator typed (or a script piped).
#include <string>

namespace raftor::console {

struct Command {
    enum class Kind { none, actors, watch, inspect, raft, trace, help, quit, bad };
    Kind kind = Kind::none;
    std::string actor;    // watch, inspect, trace: which actor ("" for watch: every actor)
    std::string node;     // inspect, trace: only on this node ("" for every node)
    double follow_s = 0;  // trace in a script: follow for this long after printing the ring
    std::string error;    // bad: what was wrong
};

Command parse_command(const std::string& line);

// The help text: every command, one line each.
const char* help_text();

}  // namespace raftor::console
