#pragma once
// CRC-32C (Castagnoli), the checksum of log entries and snapshots on disk and wire.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace raftor {
// The CPU's crc32 instruction where it has one, else slicing-by-8 tables.
std::uint32_t crc32c(const void* data, std::size_t size, std::uint32_t crc = 0);
// The tables alone, whatever the CPU: the test checks both give the same values.
std::uint32_t crc32c_portable(const void* data, std::size_t size, std::uint32_t crc = 0);
inline std::uint32_t crc32c(std::string_view s) {
    return crc32c(s.data(), s.size());
}
}  // namespace raftor
