#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "runtime/storage/file_system.hpp"

namespace raftor::storage {

namespace {

class PosixFile final : public File {
public:
    explicit PosixFile(int fd) : fd_(fd) {}
    ~PosixFile() override { ::close(fd_); }

    int read_at(char* buf, std::size_t n, std::uint64_t off, std::size_t& got) override {
        got = 0;
        while (got < n) {
            const ssize_t r = ::pread(fd_, buf + got, n - got, static_cast<off_t>(off + got));
            if (r < 0 && errno == EINTR) continue;
            if (r < 0) return errno;
            if (r == 0) break;
            got += static_cast<std::size_t>(r);
        }
        return 0;
    }
    int write_at(const char* buf, std::size_t n, std::uint64_t off) override {
        while (n > 0) {
            const ssize_t w = ::pwrite(fd_, buf, n, static_cast<off_t>(off));
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) return errno;
            buf += w;
            n -= static_cast<std::size_t>(w);
            off += static_cast<std::uint64_t>(w);
        }
        return 0;
    }
    int sync() override { return ::fdatasync(fd_) == 0 ? 0 : errno; }
    int allocate(std::uint64_t size) override { return ::posix_fallocate(fd_, 0, static_cast<off_t>(size)); }
    int size(std::uint64_t& out) override {
        const off_t end = ::lseek(fd_, 0, SEEK_END);
        if (end < 0) return errno;
        out = static_cast<std::uint64_t>(end);
        return 0;
    }

private:
    int fd_;
};

class PosixFileSystem final : public FileSystem {
public:
    int open(const std::string& path, Mode mode, std::unique_ptr<File>& out) override {
        const int flags = mode == Mode::read    ? O_RDONLY | O_CLOEXEC
                          : mode == Mode::write ? O_RDWR | O_CLOEXEC
                                                : O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC;
        const int fd = ::open(path.c_str(), flags, 0600);
        if (fd < 0) return errno;
        out = std::make_unique<PosixFile>(fd);
        return 0;
    }
    int make_dir(const std::string& path) override { return ::mkdir(path.c_str(), 0700) == 0 ? 0 : errno; }
    int list(const std::string& dir, std::vector<std::string>& names) override {
        DIR* d = ::opendir(dir.c_str());
        if (d == nullptr) return errno;
        while (const dirent* ent = ::readdir(d)) {
            const std::string name = ent->d_name;
            if (name != "." && name != "..") names.push_back(name);
        }
        ::closedir(d);
        return 0;
    }
    int remove(const std::string& path) override { return ::unlink(path.c_str()) == 0 ? 0 : errno; }
    int rename(const std::string& from, const std::string& to) override {
        return ::rename(from.c_str(), to.c_str()) == 0 ? 0 : errno;
    }
    int sync_dir(const std::string& dir) override {
        const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) return errno;
        const int rc = ::fsync(fd) == 0 ? 0 : errno;
        ::close(fd);
        return rc;
    }
};

}  // namespace

FileSystem& posix_file_system() {
    static PosixFileSystem fs;
    return fs;
}

}  // namespace raftor::storage
