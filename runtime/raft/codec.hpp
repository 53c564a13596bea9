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
//
// Cap'n Proto's traversal limit stops a message whose pointers make a reader visit the
// same words again and again. It follows the message's own size (our readers visit each
// word a few times at most), above a floor for small messages. A fixed limit would
// refuse a state snapshot larger than it, and a cluster holding one could never
// restart. What bounds the size itself is where the bytes come from: a peer frame's
// limit, a snapshot's recorded size.
constexpr std::uint64_t decode_traversal_words_floor = 8ull << 20;  // 64 MiB
constexpr std::uint64_t decode_traversal_factor = 4;
constexpr std::uint64_t decode_traversal_words(std::uint64_t message_words) {
    return message_words > decode_traversal_words_floor / decode_traversal_factor
               ? message_words * decode_traversal_factor
               : decode_traversal_words_floor;
}
constexpr int decode_nesting_max = 16;

// `ids_implied`: the sender and addressee are left out (16 bytes of every message),
// for a peer that names them from the link it came on (peer protocol 2, hello.hpp).
// A decoded message then has neither; one with only one of them is an error.
std::string encode_message(const Message& m, bool ids_implied = false);
std::optional<Message> decode_message(std::string_view bytes, std::string& error);

std::string encode_entry(const Entry& e);
std::optional<Entry> decode_entry(std::string_view bytes, std::string& error);

std::string encode_hard_state(const HardState& hs);
std::optional<HardState> decode_hard_state(std::string_view bytes, std::string& error);

std::string encode_snapshot_meta(const SnapshotMeta& m);
std::optional<SnapshotMeta> decode_snapshot_meta(std::string_view bytes, std::string& error);

bool valid_conf_state(const ConfState& c);

}  // namespace raftor::raft
