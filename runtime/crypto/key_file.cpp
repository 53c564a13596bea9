#include "runtime/crypto/key_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace raftor::crypto {

namespace {

constexpr std::string_view tag = "raftor-ed25519-v1 ";

std::string os_error(const std::string& what, const std::string& path) {
    return what + " " + path + ": " + std::strerror(errno);
}

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

std::optional<SigningKey> load(const std::string& path, std::string& error) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        error = os_error("cannot open the node key", path);
        return std::nullopt;
    }
    struct stat st {};
    std::string text;
    char buf[256];
    bool ok = ::fstat(fd, &st) == 0;
    for (ssize_t n; ok && (n = ::read(fd, buf, sizeof buf)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 || text.size() > 4096)
            ok = false;
        else
            text.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    if (!ok) {
        error = "cannot read the node key " + path;
        return std::nullopt;
    }
    if ((st.st_mode & 077) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        error = "the node key " + path + " has mode " + mode + ": others may read it; make it 0600 (chmod 600)";
        return std::nullopt;
    }
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    if (text.compare(0, tag.size(), tag) != 0) {
        error = "the node key " + path + " does not start with '" + std::string(tag.substr(0, tag.size() - 1)) + "'";
        return std::nullopt;
    }
    const auto seed = digest_from_hex(std::string_view(text).substr(tag.size()));
    if (!seed) {
        error = "the node key " + path + " does not hold 64 hex digits after its tag";
        return std::nullopt;
    }
    auto key = SigningKey::from_private(view(*seed), error);
    if (!key) error = "the node key " + path + ": " + error;
    return key;
}

std::optional<SigningKey> create(const std::string& path, std::string& error) {
    SigningKey key = SigningKey::generate();
    const std::string text = std::string(tag) + to_hex(key.private_bytes()) + "\n";
    const std::string tmp = path + ".tmp";
    ::unlink(tmp.c_str());  // a leftover of a start that died half-way
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        error = os_error("cannot create the node key", tmp);
        return std::nullopt;
    }
    const bool ok = ::fchmod(fd, 0600) == 0 && write_all(fd, text) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
        error = os_error("cannot write the node key", path);
        ::unlink(tmp.c_str());
        return std::nullopt;
    }
    // The rename itself is durable once the directory is synced.
    const auto slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    return key;
}

}  // namespace

std::optional<SigningKey> load_or_create_key(const std::string& path, std::string& error) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) return load(path, error);
    if (errno != ENOENT) {
        error = os_error("cannot look at the node key", path);
        return std::nullopt;
    }
    return create(path, error);
}

}  // namespace raftor::crypto
