#pragma once
// A small record as LogStore keeps it beside the WAL: its crc32c (little-endian), then
// the encoded bytes. Read back, a record whose checksum fails is corruption.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/common/crc32c.hpp"

namespace raftor::storage {

inline std::string sealed(std::string_view bytes) {
    const std::uint32_t c = crc32c(bytes);
    std::string out(4, '\0');
    for (int b = 0; b < 4; ++b) out[static_cast<std::size_t>(b)] = static_cast<char>((c >> (8 * b)) & 0xFF);
    out.append(bytes);
    return out;
}

inline std::optional<std::string_view> unsealed(std::string_view rec) {
    if (rec.size() < 4) return std::nullopt;
    std::uint32_t c = 0;
    for (int b = 3; b >= 0; --b) c = (c << 8) | static_cast<unsigned char>(rec[static_cast<std::size_t>(b)]);
    rec.remove_prefix(4);
    if (crc32c(rec) != c) return std::nullopt;
    return rec;
}

}  // namespace raftor::storage
