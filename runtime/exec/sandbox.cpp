#include "runtime/exec/sandbox.hpp"

#include <fcntl.h>
#include <fnmatch.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

extern char** environ;

namespace raftor::exec {

namespace {

constexpr const char* unshare_path = "/usr/bin/unshare";

// Runs argv with no environment and no output; its exit status, or -1.
int run_quietly(const std::vector<std::string>& args) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    char* envp[] = {nullptr};
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    ::posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    ::posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp);
    ::posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return -1;
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

}  // namespace

std::vector<std::string> probe_containment(std::string& why) {
    if (::access(unshare_path, X_OK) != 0) {
        why = std::string(unshare_path) + " (util-linux) is missing";
        return {};
    }
    // --kill-child: if unshare itself dies, so does the namespace's first process. That
    // process is a shell that runs the handler and passes its status on: the handler
    // is not PID 1, which would ignore the signals it has no handler for (its own
    // SIGTERM, say). A handler killed by signal N reports exit code 128+N.
    const std::vector<std::string> init{"/bin/sh", "-c", "\"$@\"; exit $?", "raftor-handler"};
    std::vector<std::string> root{unshare_path, "--pid", "--fork", "--kill-child", "--"};
    std::vector<std::string> user{unshare_path,   "--user", "--map-current-user", "--pid", "--fork",
                                  "--kill-child", "--"};
    root.insert(root.end(), init.begin(), init.end());
    user.insert(user.end(), init.begin(), init.end());
    for (const auto* prefix : {&root, &user}) {
        std::vector<std::string> probe = *prefix;
        probe.push_back("/bin/true");
        if (run_quietly(probe) == 0) return *prefix;
    }
    why = "this node may not create PID namespaces (not root, and no unprivileged user namespaces)";
    return {};
}

std::string resolve_program(const std::string& program, const std::string& path_var) {
    if (program.empty()) return {};
    if (program.find('/') != std::string::npos) return program;  // exec says what is wrong with it
    std::size_t pos = 0;
    while (pos <= path_var.size()) {
        const std::size_t colon = path_var.find(':', pos);
        std::string dir = path_var.substr(pos, colon == std::string::npos ? std::string::npos : colon - pos);
        if (dir.empty()) dir = ".";
        const std::string candidate = dir + "/" + program;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
        if (colon == std::string::npos) break;
        pos = colon + 1;
    }
    return {};
}

std::optional<std::string> program_refused(const std::string& resolved, const std::vector<std::string>& patterns) {
    if (patterns.empty()) return std::nullopt;
    if (resolved.empty() || resolved[0] != '/')
        return "'" + resolved + "' is not an absolute path, and handlers.allowedPrograms names absolute paths";
    if (resolved.find("/../") != std::string::npos || resolved.find("/./") != std::string::npos ||
        resolved.ends_with("/..") || resolved.ends_with("/."))
        return "'" + resolved + "' has '.' or '..' in it; name the program by its plain path";
    char real[PATH_MAX];
    const std::string canonical = ::realpath(resolved.c_str(), real) ? std::string(real) : std::string();
    for (const auto& p : patterns) {
        if (::fnmatch(p.c_str(), resolved.c_str(), FNM_PATHNAME) == 0) return std::nullopt;
        if (!canonical.empty() && ::fnmatch(p.c_str(), canonical.c_str(), FNM_PATHNAME) == 0) return std::nullopt;
    }
    return "'" + resolved + "' is not in handlers.allowedPrograms";
}

}  // namespace raftor::exec
