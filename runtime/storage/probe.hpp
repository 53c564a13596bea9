#pragma once
// Whether a data directory takes a write now: a small file written, synced and
// removed. The self-check's storage test (a full or read-only disk, a dead device).
#include <optional>
#include <string>

namespace raftor::storage {

// None when it worked; else what failed, naming the file and the error.
std::optional<std::string> probe_writable(const std::string& dir);

}  // namespace raftor::storage
