#pragma once
// Encoding of a ConfChange as the payload of a conf-change entry (schema/raft.capnp).
#include <optional>
#include <string>
#include <string_view>

#include "runtime/raft/types.hpp"

namespace raftor::raft {
std::string encode_conf_change(const ConfChange& cc);
// Nothing when the bytes are not a well-formed ConfChange with a valid result.
std::optional<ConfChange> decode_conf_change(std::string_view bytes);
}  // namespace raftor::raft
