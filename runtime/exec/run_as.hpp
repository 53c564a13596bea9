#pragma once
// Running handler processes as another user (`handlers.user`): resolved once when the
// node starts, so a user that does not exist or a node that cannot switch to it stops
// the start with a clear error instead of failing every execution later.
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace raftor::exec {

struct RunAs {
    std::string user;
    uid_t uid = 0;
    gid_t gid = 0;
};

// The helper that drops to the user and then execs the handler (util-linux's setpriv:
// posix_spawn cannot change the user itself, and we do not fork).
inline constexpr const char* setpriv_path = "/usr/bin/setpriv";

// `user` is a name or a numeric uid. Nothing to switch (empty, or the node's own user):
// nullopt with no error. Otherwise the user, or an error naming what is wrong: no such
// user, a node that is not root, no setpriv.
std::optional<RunAs> resolve_run_as(const std::string& user, std::string& error);

// The start of an argv that drops to `as` and then runs what follows it.
std::vector<std::string> run_as_prefix(const RunAs& as);

}  // namespace raftor::exec
