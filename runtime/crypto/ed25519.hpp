#pragma once
// Ed25519 signing keys for receipts (OpenSSL 3). A node signs; anyone with the public
// key verifies, offline. Keys travel as their raw 32 bytes.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/crypto/sha256.hpp"

namespace raftor::crypto {

using PublicKey = std::array<std::uint8_t, 32>;
using Signature = std::array<std::uint8_t, 64>;

class SigningKey {
public:
    static SigningKey generate();
    // From the 32-byte private seed; nothing (and `error` says why) when it is not one.
    static std::optional<SigningKey> from_private(std::string_view raw, std::string& error);

    std::string private_bytes() const;  // the 32-byte seed, for the key file
    const PublicKey& public_key() const { return public_; }
    Signature sign(std::string_view message) const;

private:
    struct Free {
        void operator()(void* p) const;
    };
    explicit SigningKey(std::unique_ptr<void, Free> pkey);
    std::unique_ptr<void, Free> pkey_;  // EVP_PKEY
    PublicKey public_{};
};

bool verify(const PublicKey& key, std::string_view message, const Signature& sig);

// While one lives, verify() on this thread remembers what it verified, and what
// SigningKey::sign made on this thread verifies without a verification: the simulator
// runs every node on one thread, where one node's signer signs each seal and every
// node's state machine, and the checkers, verify it (half of a run's time went there,
// then an eighth for the first verification of each). Nothing else uses it.
class VerifyMemo {
public:
    VerifyMemo();
    ~VerifyMemo();
    VerifyMemo(const VerifyMemo&) = delete;
    VerifyMemo& operator=(const VerifyMemo&) = delete;
};

// (A PublicKey is viewed like a Digest: both are 32 bytes, see sha256.hpp.)
std::string_view view(const Signature& s);

}  // namespace raftor::crypto
