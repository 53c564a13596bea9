#pragma once
// Peer authentication with a cluster secret, for clusters without mutual TLS.
//
// The dialler's hello carries its nonce and the id it means to reach; the listener
// answers with its nonce and a proof; the dialler checks it and sends its own proof.
// Each proof is an HMAC-SHA256, under the secret, of a transcript that binds the
// cluster id, both node ids and both nonces, with a label per direction (a proof
// cannot be reflected). Both sides then derive a session key from the same transcript,
// and every frame after the handshake carries an HMAC-SHA256 tag over a per-connection
// sequence number and the frame: a frame that was forged, altered, replayed, reordered
// or moved to another connection fails its tag and closes the connection.
//
// HMAC, not an AEAD: the secret mode authenticates; confidentiality is what mutual TLS
// is for, and frames stay readable in a capture.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace raftor::net {

constexpr std::size_t nonce_bytes = 32;
constexpr std::size_t proof_bytes = 32;
constexpr std::size_t frame_tag_bytes = 32;
// From peer protocol 2 on, once both ends switched to packed frames: HMAC-SHA256
// truncated to 128 bits (as RFC 4868's HMAC-SHA-256-128), a forgery still 2^-128.
constexpr std::size_t frame_tag_bytes_short = 16;
constexpr std::size_t cluster_secret_bytes_min = 32;

// Reads the secrets from `path`, one per line (the first proves this node; every one is
// accepted from peers), each at least 32 bytes without surrounding whitespace, from a
// file neither group nor others may read. nullopt and `error` otherwise.
std::optional<std::vector<std::string>> load_cluster_secret(const std::string& path, std::string& error);

std::string random_nonce();

struct HandshakeIds {
    std::string cluster_id;
    std::uint64_t dialler = 0, listener = 0;
    std::string dialler_nonce, listener_nonce;
};
enum class ProofSide { dialler, listener };
std::string handshake_proof(const std::string& secret, const HandshakeIds& ids, ProofSide side);
std::string session_key(const std::string& secret, const HandshakeIds& ids);
// Compares in constant time.
bool same_bytes(std::string_view a, std::string_view b);

// One direction of a connection: tags frames in order (sender) or checks them (receiver).
class FrameMac {
public:
    explicit FrameMac(const std::string& key);
    ~FrameMac();
    FrameMac(const FrameMac&) = delete;
    FrameMac& operator=(const FrameMac&) = delete;
    // The tag of the next frame (and of the one `open` checks next on the other side).
    std::string seal(std::string_view payload);
    // Checks and strips the tag of the next frame; false if it is wrong.
    bool open(std::string& frame);
    // Tags from the next frame on are frame_tag_bytes_short long (both ends switch at
    // the same frame: see tcp_transport.cpp).
    void shorten() { tag_bytes_ = frame_tag_bytes_short; }
    std::size_t tag_bytes() const { return tag_bytes_; }

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::uint64_t seq_ = 0;
    std::size_t tag_bytes_ = frame_tag_bytes;
};

}  // namespace raftor::net
