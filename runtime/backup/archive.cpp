#include "runtime/backup/archive.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace raftor::backup {

namespace {

constexpr std::size_t block = 512;
constexpr std::uint64_t size_max = 077777777777ull;  // 11 octal digits

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

std::string sys_error(const std::string& what) {
    return what + ": " + std::strerror(errno);
}

void octal(char* field, std::size_t width, std::uint64_t v) {
    // width - 1 digits, then NUL
    for (std::size_t i = width - 1; i-- > 0;) {
        field[i] = static_cast<char>('0' + (v & 7));
        v >>= 3;
    }
    field[width - 1] = '\0';
}

bool parse_octal(const char* field, std::size_t width, std::uint64_t& v) {
    v = 0;
    std::size_t i = 0;
    while (i < width && field[i] == ' ') ++i;
    bool any = false;
    for (; i < width && field[i] >= '0' && field[i] <= '7'; ++i) {
        v = (v << 3) | static_cast<std::uint64_t>(field[i] - '0');
        any = true;
    }
    for (; i < width; ++i)
        if (field[i] != '\0' && field[i] != ' ') return false;
    return any;
}

unsigned checksum(const unsigned char* h) {
    unsigned sum = 0;
    for (std::size_t i = 0; i < block; ++i) sum += (i >= 148 && i < 156) ? ' ' : h[i];
    return sum;
}

bool write_all(int fd, const char* p, std::size_t n) {
    while (n > 0) {
        const ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}

bool read_all(int fd, char* p, std::size_t n, std::uint64_t offset) {
    while (n > 0) {
        const ssize_t r = ::pread(fd, p, n, static_cast<off_t>(offset));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        p += r;
        n -= static_cast<std::size_t>(r);
        offset += static_cast<std::uint64_t>(r);
    }
    return true;
}

}  // namespace

std::string write_tar(const std::string& out_path, const std::vector<TarFile>& files) {
    Fd out{::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
    if (out.fd < 0) return sys_error("create " + out_path);
    auto buf = std::make_unique<char[]>(1 << 20);
    for (const auto& f : files) {
        if (f.name.empty() || f.name.size() > 99) return "archive name '" + f.name + "' is empty or too long";
        Fd in{::open(f.path.c_str(), O_RDONLY | O_CLOEXEC)};
        if (in.fd < 0) return sys_error("open " + f.path);
        struct stat st {};
        if (::fstat(in.fd, &st) != 0) return sys_error("stat " + f.path);
        const auto size = static_cast<std::uint64_t>(st.st_size);
        if (size > size_max) return f.path + " is larger than a tar entry holds (8 GiB)";
        unsigned char h[block] = {};
        std::memcpy(h, f.name.data(), f.name.size());
        octal(reinterpret_cast<char*>(h) + 100, 8, 0600);
        octal(reinterpret_cast<char*>(h) + 108, 8, 0);
        octal(reinterpret_cast<char*>(h) + 116, 8, 0);
        octal(reinterpret_cast<char*>(h) + 124, 12, size);
        octal(reinterpret_cast<char*>(h) + 136, 12, static_cast<std::uint64_t>(st.st_mtime));
        h[156] = '0';
        std::memcpy(h + 257, "ustar", 6);
        std::memcpy(h + 263, "00", 2);
        std::memcpy(h + 265, "raftor", 6);
        std::memcpy(h + 297, "raftor", 6);
        octal(reinterpret_cast<char*>(h) + 148, 7, checksum(h));
        h[155] = ' ';
        if (!write_all(out.fd, reinterpret_cast<char*>(h), block)) return sys_error("write " + out_path);
        std::uint64_t left = size, at = 0;
        while (left > 0) {
            const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, 1 << 20));
            if (!read_all(in.fd, buf.get(), n, at)) return f.path + " changed size while it was archived";
            if (!write_all(out.fd, buf.get(), n)) return sys_error("write " + out_path);
            left -= n;
            at += n;
        }
        const std::size_t pad = (block - size % block) % block;
        static const char zeros[block] = {};
        if (!write_all(out.fd, zeros, pad)) return sys_error("write " + out_path);
    }
    static const char end[2 * block] = {};
    if (!write_all(out.fd, end, sizeof end)) return sys_error("write " + out_path);
    if (::fsync(out.fd) != 0) return sys_error("sync " + out_path);
    return {};
}

std::string list_tar(const std::string& path, std::vector<TarEntry>& out) {
    out.clear();
    Fd in{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (in.fd < 0) return sys_error("open " + path);
    struct stat st {};
    if (::fstat(in.fd, &st) != 0) return sys_error("stat " + path);
    const auto total = static_cast<std::uint64_t>(st.st_size);
    std::uint64_t at = 0;
    while (true) {
        if (at + block > total) return path + ": ends without the end-of-archive blocks (truncated?)";
        unsigned char h[block];
        if (!read_all(in.fd, reinterpret_cast<char*>(h), block, at)) return sys_error("read " + path);
        bool zero = true;
        for (unsigned char c : h) zero = zero && c == 0;
        if (zero) return {};
        std::uint64_t sum = 0, size = 0;
        if (!parse_octal(reinterpret_cast<char*>(h) + 148, 8, sum) || sum != checksum(h))
            return path + ": header at byte " + std::to_string(at) + " has a bad checksum (not a tar, or damaged)";
        if (!parse_octal(reinterpret_cast<char*>(h) + 124, 12, size))
            return path + ": header at byte " + std::to_string(at) + " has a bad size";
        const std::string name(reinterpret_cast<char*>(h), ::strnlen(reinterpret_cast<char*>(h), 100));
        if (at + block + size > total) return path + ": '" + name + "' runs past the end of the file (truncated?)";
        if (h[156] == '0' || h[156] == '\0') out.push_back({name, at + block, size});
        at += block + (size + block - 1) / block * block;
    }
}

std::string read_entry(const std::string& path, const TarEntry& e, std::string& out) {
    Fd in{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (in.fd < 0) return sys_error("open " + path);
    out.assign(e.size, '\0');
    if (!read_all(in.fd, out.data(), out.size(), e.offset)) return sys_error("read " + path);
    return {};
}

std::string extract_entry(const std::string& path, const TarEntry& e, const std::string& to) {
    Fd in{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (in.fd < 0) return sys_error("open " + path);
    Fd out{::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
    if (out.fd < 0) return sys_error("create " + to);
    auto buf = std::make_unique<char[]>(1 << 20);
    std::uint64_t left = e.size, at = e.offset;
    while (left > 0) {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, 1 << 20));
        if (!read_all(in.fd, buf.get(), n, at)) return sys_error("read " + path);
        if (!write_all(out.fd, buf.get(), n)) return sys_error("write " + to);
        left -= n;
        at += n;
    }
    if (::fsync(out.fd) != 0) return sys_error("sync " + to);
    return {};
}

}  // namespace raftor::backup
