#pragma once
// Files that hold secrets (the cluster secret, a TLS private key, a configuration file
// with a token) must not be readable by others. The rule is PostgreSQL's: mode 600 or
// tighter when the file is the node's own; 640 or tighter when root owns it (a
// Kubernetes Secret mounted with a group, a key shared through a root-owned group).
#include <optional>
#include <string>

namespace raftor::common {

// Why `path` may not hold a secret ("'PATH' may be read by group or others (mode 644):
// chmod 600 it"), or nullopt when it is private enough (or cannot be stat'ed: the read
// that follows reports that).
std::optional<std::string> secret_file_exposed(const std::string& path);

}  // namespace raftor::common
