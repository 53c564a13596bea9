#include "runtime/exec/scratch_root.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace raftor::exec {

namespace {

constexpr const char* lock_name = ".lock";

// The lock of `dir`, taken without waiting: its descriptor, or -1 with errno
// (EWOULDBLOCK: a running node holds it).
int take_lock(const std::string& dir) {
    const std::string p = dir + "/" + lock_name;
    const int fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return -1;
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int e = errno;
        ::close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

// Ours, a real directory (not a link someone planted), enterable but not listable by others.
std::string check_ours(const std::string& dir) {
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0) return "'" + dir + "': " + std::strerror(errno);
    if (!S_ISDIR(st.st_mode)) return "'" + dir + "' is not a directory";
    if (st.st_uid != ::geteuid())
        return "'" + dir + "' belongs to uid " + std::to_string(st.st_uid) + ", not this node's";
    if (::chmod(dir.c_str(), 0711) != 0) return "'" + dir + "': chmod: " + std::strerror(errno);
    return {};
}

}  // namespace

std::string ScratchRoot::open(const std::string& configured, const std::string& tmp, const std::string& node) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!configured.empty()) {
        if (::mkdir(configured.c_str(), 0711) != 0 && errno != EEXIST)
            return "'" + configured + "': " + std::strerror(errno);
        if (auto e = check_ours(configured); !e.empty()) return e;
        lock_fd_ = take_lock(configured);
        if (lock_fd_ < 0)
            return errno == EWOULDBLOCK ? "'" + configured + "' is in use by another node on this host"
                                        : "'" + configured + "/" + lock_name + "': " + std::strerror(errno);
        path_ = configured;
        for (const auto& e : fs::directory_iterator(path_, ec))
            if (e.path().filename().string().rfind("ex-", 0) == 0) fs::remove_all(e.path(), ec);
        return {};
    }
    const std::string prefix = "raftor-handlers-" + node + "-";
    std::string templ = tmp + "/" + prefix + "XXXXXX";
    if (!::mkdtemp(templ.data())) return "'" + tmp + "': " + std::strerror(errno);
    path_ = templ;
    owned_ = true;
    if (auto e = check_ours(path_); !e.empty()) return e;
    lock_fd_ = take_lock(path_);
    if (lock_fd_ < 0) return "'" + path_ + "/" + lock_name + "': " + std::strerror(errno);
    // Left by nodes of this name that ended without removing theirs. One without a lock
    // file may be a node between mkdtemp and its lock: left alone.
    for (const auto& e : fs::directory_iterator(tmp, ec)) {
        const std::string name = e.path().filename().string();
        if (name.rfind(prefix, 0) != 0 || e.path().string() == path_ || name.size() != prefix.size() + 6) continue;
        struct stat st {};
        if (::lstat(e.path().c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid()) continue;
        if (::access((e.path().string() + "/" + lock_name).c_str(), F_OK) != 0) continue;
        const int fd = take_lock(e.path().string());
        if (fd < 0) continue;  // held: a running node's
        fs::remove_all(e.path(), ec);
        ::close(fd);
    }
    return {};
}

ScratchRoot::~ScratchRoot() {
    if (owned_ && !path_.empty()) {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    if (lock_fd_ >= 0) ::close(lock_fd_);
}

}  // namespace raftor::exec
