#include "runtime/exec/run_as.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace raftor::exec {

std::optional<RunAs> resolve_run_as(const std::string& user, std::string& error) {
    error.clear();
    if (user.empty()) return std::nullopt;
    std::vector<char> buf(16384);
    passwd pw{};
    passwd* found = nullptr;
    int rc = ::getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found);
    if (!found && rc == 0 && user.find_first_not_of("0123456789") == std::string::npos && user.size() <= 9)
        rc = ::getpwuid_r(static_cast<uid_t>(std::stoul(user)), &pw, buf.data(), buf.size(), &found);
    if (!found) {
        error =
            rc == 0 ? "no user '" + user + "' on this machine" : "looking up user '" + user + "': " + std::strerror(rc);
        return std::nullopt;
    }
    RunAs as{pw.pw_name, pw.pw_uid, pw.pw_gid};
    if (as.uid == ::geteuid()) return std::nullopt;  // already that user
    if (::geteuid() != 0) {
        error = "running handlers as '" + user + "' needs the node to run as root (it runs as uid " +
                std::to_string(::geteuid()) + ")";
        return std::nullopt;
    }
    if (::access(setpriv_path, X_OK) != 0) {
        error = std::string(setpriv_path) +
                " (util-linux) is needed to run handlers as another user: " + std::strerror(errno);
        return std::nullopt;
    }
    return as;
}

std::vector<std::string> run_as_prefix(const RunAs& as) {
    return {setpriv_path,
            "--reuid=" + std::to_string(as.uid),
            "--regid=" + std::to_string(as.gid),
            "--init-groups",
            "--inh-caps=-all",
            "--"};
}

}  // namespace raftor::exec
