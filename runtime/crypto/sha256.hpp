#pragma once
// SHA-256 for receipts: hashes of inputs and outputs, of receipts (the chain), and the
// nodes of a batch's Merkle tree.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace raftor::crypto {

using Digest = std::array<std::uint8_t, 32>;

Digest sha256(std::string_view bytes);
// The hash of several pieces, as if concatenated (no copy).
Digest sha256(std::initializer_list<std::string_view> pieces);

std::string_view view(const Digest& d);
std::string to_hex(std::string_view bytes);
inline std::string to_hex(const Digest& d) {
    return to_hex(view(d));
}
// Nothing when `hex` is not exactly 64 hex digits.
std::optional<Digest> digest_from_hex(std::string_view hex);
// Exactly 2n hex digits into out[0..n); false (out partly written) otherwise.
bool from_hex(std::string_view hex, std::uint8_t* out, std::size_t n);

}  // namespace raftor::crypto
