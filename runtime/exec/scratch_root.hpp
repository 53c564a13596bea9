#pragma once
// The directory a node's handlers get their scratch directories in, held for as long
// as the node runs. Two nodes on one host (two clusters, test clusters run side by
// side, nodes in network namespaces sharing /tmp) may have the same member name, so
// the default is a fresh directory of this process's own, and a configured one is
// locked: neither can sweep away the other's running handlers' directories.
#include <string>

namespace raftor::exec {

class ScratchRoot {
public:
    ScratchRoot() = default;
    ScratchRoot(const ScratchRoot&) = delete;
    ScratchRoot& operator=(const ScratchRoot&) = delete;
    ~ScratchRoot();

    // `configured` (handlers.workDir) when given: made if missing, refused when it is
    // not ours or another node holds it, emptied of what a previous run left.
    // Otherwise a new `<tmp>/raftor-handlers-<node>-XXXXXX`, and the directories of
    // that name that no running node holds are removed (left by a node that crashed).
    // An error naming the directory, or "".
    std::string open(const std::string& configured, const std::string& tmp, const std::string& node);

    const std::string& path() const { return path_; }

private:
    std::string path_;
    int lock_fd_ = -1;
    bool owned_ = false;  // made by open (removed at the end), not configured
};

}  // namespace raftor::exec
