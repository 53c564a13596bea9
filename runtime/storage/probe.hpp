#pragma once
// Whether a data directory takes a write now: a small file written, synced and
// removed. The self-check's storage test (a full or read-only disk, a dead device).
#include <optional>
#include <string>

#include "runtime/storage/file_system.hpp"

namespace raftor::storage {

// None when it worked; else what failed, naming the file and the error.
std::optional<std::string> probe_writable(FileSystem& fs, const std::string& dir);
inline std::optional<std::string> probe_writable(const std::string& dir) {
    return probe_writable(posix_file_system(), dir);
}

}  // namespace raftor::storage
