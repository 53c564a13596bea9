#include "runtime/storage/dir_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace raftor::storage {

DirLock::~DirLock() {
    if (fd_ >= 0) ::close(fd_);
}

Status DirLock::acquire(const std::string& dir) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        return {Errc::io, "create data directory " + dir + ": " + std::strerror(errno)};
    const std::string path = dir + "/raftor.lock";
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return {Errc::io, "open " + path + ": " + std::strerror(errno)};
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        char pid[32] = {};
        const ssize_t n = ::pread(fd, pid, sizeof pid - 1, 0);
        ::close(fd);
        if (err == EWOULDBLOCK) {
            std::string holder(pid, n > 0 ? static_cast<std::size_t>(n) : 0);
            while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
            return {Errc::io, "data directory " + dir + " is in use by another process" +
                                  (holder.empty() ? std::string() : " (pid " + holder + ")") + ": stop it first"};
        }
        return {Errc::io, "lock " + path + ": " + std::strerror(err)};
    }
    const std::string me = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, me.data(), me.size(), 0) != static_cast<ssize_t>(me.size())) {
        // The pid is for the error message only; the lock itself holds.
    }
    fd_ = fd;
    return {};
}

}  // namespace raftor::storage
