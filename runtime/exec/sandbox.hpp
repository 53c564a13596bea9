#pragma once
// What keeps a handler process to itself: a PID namespace per execution (so nothing it
// starts, setsid or double-forked, outlives it: when the handler ends or is killed,
// the kernel kills its namespace), a scratch working directory per execution outside
// the data dir, no inherited descriptors but 0-2, and an allow-list of programs.
#include <optional>
#include <string>
#include <vector>

namespace raftor::exec {

struct Sandbox {
    // Prefix of every handler's argv that puts it in a PID namespace of its own
    // (util-linux unshare); empty when this node cannot make one.
    std::vector<std::string> contain;
    std::string scratch_root;                   // empty: handlers run in the node's directory
    std::vector<std::string> allowed_programs;  // globs over absolute paths; empty: any program
};

// Finds how this node can give each handler a PID namespace: as root directly, else
// inside an unprivileged user namespace. Empty (and `why` says what failed) when
// neither works; handlers then run in a process group only.
std::vector<std::string> probe_containment(std::string& why);

// `program` (as an operation names it: a path, or a name looked up in PATH) resolved
// against `path_var`; empty when no executable of that name is in PATH. A path is
// returned as it is (running it says what is wrong with it).
std::string resolve_program(const std::string& program, const std::string& path_var);

// Why `resolved` (an absolute path) may not run under `patterns` (handlers.allowedPrograms),
// or nullopt when it may. A pattern is a shell glob over the whole path ('*' stays
// within one directory); the path matches as written or as its symlinks resolve.
std::optional<std::string> program_refused(const std::string& resolved, const std::vector<std::string>& patterns);

}  // namespace raftor::exec
