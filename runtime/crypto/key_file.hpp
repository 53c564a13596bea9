#pragma once
// A node's Ed25519 key on disk: created on first start, readable by the owner only.
// The file is one line, "raftor-ed25519-v1 <64 hex digits of the private seed>".
#include <optional>
#include <string>

#include "runtime/crypto/ed25519.hpp"

namespace raftor::crypto {

// Loads the key at `path`, or creates it (mode 0600, written to a temporary file,
// synced, then renamed into place) when there is none. A key file that others may
// read, or that does not hold a key, is refused: nothing, and `error` names the path
// and what is wrong with it.
std::optional<SigningKey> load_or_create_key(const std::string& path, std::string& error);

}  // namespace raftor::crypto
