#pragma once
// Cap'n Proto encodings of the core's types (schema/raft.capnp): the one codec for
// peer frames and for what storage writes. Decoders never trust their input: they
// apply ReaderOptions limits and validate enums and invariants, and say what was wrong.
#include <optional>
#include <string>
#include <string_view>

#include "runtime/raft/types.hpp"

namespace raftor::raft {

// Limits on anything decoded from the network or the disk.
constexpr std::uint64_t decode_traversal_words_max = 64ull << 20;  // 512 MiB of words
constexpr int decode_nesting_max = 16;

std::string encode_message(const Message& m);
std::optional<Message> decode_message(std::string_view bytes, std::string& error);

std::string encode_entry(const Entry& e);
std::optional<Entry> decode_entry(std::string_view bytes, std::string& error);

std::string encode_hard_state(const HardState& hs);
std::optional<HardState> decode_hard_state(std::string_view bytes, std::string& error);

std::string encode_snapshot_meta(const SnapshotMeta& m);
std::optional<SnapshotMeta> decode_snapshot_meta(std::string_view bytes, std::string& error);

bool valid_conf_state(const ConfState& c);

}  // namespace raftor::raft
