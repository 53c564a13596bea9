#include "runtime/net/peer_auth.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "runtime/common/secret_file.hpp"

namespace raftor::net {

namespace {

void append_field(std::string& out, std::string_view v) {
    const auto n = static_cast<std::uint32_t>(v.size());
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((n >> shift) & 0xFF));
    out.append(v);
}

std::string be64(std::uint64_t v) {
    std::string out(8, '\0');
    for (int i = 7; i >= 0; --i, v >>= 8) out[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xFF);
    return out;
}

std::string transcript(std::string_view label, const HandshakeIds& ids) {
    std::string t;
    append_field(t, label);
    append_field(t, ids.cluster_id);
    append_field(t, be64(ids.dialler));
    append_field(t, be64(ids.listener));
    append_field(t, ids.dialler_nonce);
    append_field(t, ids.listener_nonce);
    return t;
}

EVP_MAC* hmac() {
    static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (!mac) throw std::runtime_error("OpenSSL has no HMAC");
    return mac;
}

EVP_MAC_CTX* keyed_ctx(std::string_view key) {
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(hmac());
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_END};
    if (!ctx || EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(), params) != 1) {
        EVP_MAC_CTX_free(ctx);
        throw std::runtime_error("HMAC-SHA256 init failed");
    }
    return ctx;
}

std::string finish(EVP_MAC_CTX* ctx) {
    unsigned char out[EVP_MAX_MD_SIZE];
    std::size_t n = 0;
    if (EVP_MAC_final(ctx, out, &n, sizeof out) != 1) throw std::runtime_error("HMAC-SHA256 failed");
    return std::string(reinterpret_cast<const char*>(out), n);
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
    EVP_MAC_CTX* ctx = keyed_ctx(key);
    EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size());
    std::string out = finish(ctx);
    EVP_MAC_CTX_free(ctx);
    return out;
}

}  // namespace

std::optional<std::vector<std::string>> load_cluster_secret(const std::string& path, std::string& error) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        error = "cannot read '" + path + "': " + std::strerror(errno);
        return std::nullopt;
    }
    if (auto exposed = common::secret_file_exposed(path)) {
        error = *exposed;
        return std::nullopt;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = "cannot read '" + path + "'";
        return std::nullopt;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    std::vector<std::string> secrets;
    std::string line;
    int number = 0;
    while (std::getline(ss, line)) {
        ++number;
        const auto first = line.find_first_not_of(" \t\r");
        if (first == std::string::npos) continue;  // blank
        line = line.substr(first, line.find_last_not_of(" \t\r") + 1 - first);
        if (line.size() < cluster_secret_bytes_min) {
            error = "'" + path + "' line " + std::to_string(number) + " holds " + std::to_string(line.size()) +
                    " bytes, fewer than " + std::to_string(cluster_secret_bytes_min) +
                    " (make one with: openssl rand -hex 32 > " + path + ")";
            return std::nullopt;
        }
        secrets.push_back(line);
    }
    if (secrets.empty()) {
        error = "'" + path + "' holds no secret (make one with: openssl rand -hex 32 > " + path + ")";
        return std::nullopt;
    }
    return secrets;
}

std::string random_nonce() {
    std::string n(nonce_bytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(n.data()), static_cast<int>(n.size())) != 1)
        throw std::runtime_error("RAND_bytes failed");
    return n;
}

std::string handshake_proof(const std::string& secret, const HandshakeIds& ids, ProofSide side) {
    return hmac_sha256(
        secret,
        transcript(side == ProofSide::dialler ? "raftor peer proof: dialler" : "raftor peer proof: listener", ids));
}

std::string session_key(const std::string& secret, const HandshakeIds& ids) {
    return hmac_sha256(secret, transcript("raftor peer session key", ids));
}

bool same_bytes(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

struct FrameMac::Impl {
    EVP_MAC_CTX* keyed = nullptr;  // duplicated per frame: the key schedule is done once
    ~Impl() { EVP_MAC_CTX_free(keyed); }
};

FrameMac::FrameMac(const std::string& key) : impl_(std::make_unique<Impl>()) {
    impl_->keyed = keyed_ctx(key);
}
FrameMac::~FrameMac() = default;

std::string FrameMac::seal(std::string_view payload) {
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(impl_->keyed);
    if (!ctx) throw std::runtime_error("HMAC-SHA256 context copy failed");
    const std::string seq = be64(seq_++);
    EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(seq.data()), seq.size());
    EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(payload.data()), payload.size());
    std::string out = finish(ctx);
    EVP_MAC_CTX_free(ctx);
    out.resize(tag_bytes_);
    return out;
}

bool FrameMac::open(std::string& frame) {
    if (frame.size() <= tag_bytes_) return false;
    const std::size_t n = frame.size() - tag_bytes_;
    const std::string expected = seal(std::string_view(frame.data(), n));
    if (!same_bytes(expected, std::string_view(frame.data() + n, tag_bytes_))) return false;
    frame.resize(n);
    return true;
}

}  // namespace raftor::net
