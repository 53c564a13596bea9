#pragma once
// The file calls the write-ahead log makes, behind an interface: the real ones in
// `raftor node` (posix_file_system), a simulated disk in tests and the simulator, where
// what was written is kept apart from what was synced, so a crash can lose the rest.
// Every call answers 0 or an errno, and the caller names what failed.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace raftor::storage {

class File {
public:
    virtual ~File() = default;
    // Up to n bytes at off; `got` < n only at the end of the file.
    virtual int read_at(char* buf, std::size_t n, std::uint64_t off, std::size_t& got) = 0;
    virtual int write_at(const char* buf, std::size_t n, std::uint64_t off) = 0;  // all of it, or an error
    virtual int sync() = 0;                        // fdatasync: what was written survives a crash
    virtual int allocate(std::uint64_t size) = 0;  // posix_fallocate from 0
    virtual int size(std::uint64_t& out) = 0;
};

class FileSystem {
public:
    enum class Mode {
        read,    // O_RDONLY
        write,   // O_RDWR, the file exists
        create,  // O_RDWR | O_CREAT | O_TRUNC, mode 0600
    };
    virtual ~FileSystem() = default;
    virtual int open(const std::string& path, Mode mode, std::unique_ptr<File>& out) = 0;
    virtual int make_dir(const std::string& path) = 0;  // mode 0700; EEXIST when it is there
    virtual int list(const std::string& dir, std::vector<std::string>& names) = 0;
    virtual int remove(const std::string& path) = 0;
    virtual int rename(const std::string& from, const std::string& to) = 0;
    virtual int sync_dir(const std::string& dir) = 0;  // names created, renamed or removed survive a crash
};

FileSystem& posix_file_system();

}  // namespace raftor::storage
