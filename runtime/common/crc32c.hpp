#pragma once
// CRC-32C (Castagnoli), the checksum of log entries and snapshots on disk and wire.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace raftor {
std::uint32_t crc32c(const void* data, std::size_t size, std::uint32_t crc = 0);
inline std::uint32_t crc32c(std::string_view s) {
    return crc32c(s.data(), s.size());
}
}  // namespace raftor
