#pragma once
// An exclusive lock on a data directory (flock on `<dir>/raftor.lock`, holding the
// owner's pid): a second node, or an offline tool, on a directory a node is using is
// refused with the pid that holds it. The kernel drops the lock when the process dies.
#include <string>

#include "runtime/storage/status.hpp"

namespace raftor::storage {

class DirLock {
public:
    DirLock() = default;
    ~DirLock();
    DirLock(const DirLock&) = delete;
    DirLock& operator=(const DirLock&) = delete;

    // Creates `dir` when missing; fails (naming the holder) when another process holds it.
    Status acquire(const std::string& dir);

private:
    int fd_ = -1;
};

}  // namespace raftor::storage
