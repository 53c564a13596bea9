#include "runtime/storage/probe.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace raftor::storage {

std::optional<std::string> probe_writable(const std::string& dir) {
    const std::string path = dir + "/.health-probe";
    auto failed = [&](const char* what) {
        return std::optional<std::string>(std::string(what) + " " + path + ": " + std::strerror(errno));
    };
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return failed("cannot create");
    static constexpr char text[] = "raftor self-check: this directory takes writes\n";
    std::optional<std::string> error;
    errno = 0;
    if (::write(fd, text, sizeof text - 1) != static_cast<ssize_t>(sizeof text - 1)) {
        if (errno == 0) errno = ENOSPC;  // a short write: the file system is out of room
        error = failed("cannot write");
    } else if (::fdatasync(fd) != 0)
        error = failed("cannot sync");
    ::close(fd);
    if (::unlink(path.c_str()) != 0 && !error) error = failed("cannot remove");
    return error;
}

}  // namespace raftor::storage
