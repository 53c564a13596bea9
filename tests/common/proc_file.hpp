#pragma once
// Reads a /proc file of a process that may exit while it is read: what was read, or ""
// (an ifstream throws on the ESRCH such a read can give).
#include <fcntl.h>
#include <unistd.h>

#include <string>

namespace raftor::testing {

inline std::string read_proc_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {};
    std::string out;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return out;
}

}  // namespace raftor::testing
