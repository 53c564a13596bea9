#pragma once
// Cap'n Proto's packed encoding, for peer frames: a message's zero bytes (unset fields,
// pointer padding, small integers) are not sent. Each 8-byte word becomes a tag byte
// (bit i set: byte i is not zero) and its non-zero bytes; a zero tag is followed by a
// count of further zero words, an all-ones tag by a count of words copied as they are.
// A heartbeat of 136 bytes packs to about 40; a 512-byte value costs about 90 bytes
// of framing instead of 280.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace raftor::net {

// `words` must be a whole number of 8-byte words (a Cap'n Proto message is).
std::string pack_words(std::string_view words);
// The words back, or nullopt with `error` set when `packed` is not a packing or would
// unpack to more than `max_bytes` (a few bytes of zero runs can claim megabytes).
std::optional<std::string> unpack_words(std::string_view packed, std::size_t max_bytes, std::string& error);

// Any bytes: one byte saying how many zero bytes pad the payload to whole words, then
// the packed words. (The transport carries whatever it is given; Raft's messages are
// whole words, so their pad byte is 0.)
std::string pack_frame(std::string_view payload);
std::optional<std::string> unpack_frame(std::string_view packed, std::size_t max_bytes, std::string& error);

}  // namespace raftor::net
