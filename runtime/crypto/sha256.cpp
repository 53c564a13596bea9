#include "runtime/crypto/sha256.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace raftor::crypto {

namespace {

// Fetched once and reused: fetching per call costs three times the hash of 64 bytes.
const EVP_MD* sha256_md() {
    static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return md;
}

struct Ctx {
    EVP_MD_CTX* p = EVP_MD_CTX_new();
    ~Ctx() { EVP_MD_CTX_free(p); }
};

}  // namespace

Digest sha256(std::initializer_list<std::string_view> pieces) {
    thread_local Ctx ctx;
    Digest d{};
    unsigned int len = 0;
    bool ok = ctx.p != nullptr && sha256_md() != nullptr && EVP_DigestInit_ex(ctx.p, sha256_md(), nullptr) == 1;
    for (auto piece : pieces) ok = ok && EVP_DigestUpdate(ctx.p, piece.data(), piece.size()) == 1;
    ok = ok && EVP_DigestFinal_ex(ctx.p, d.data(), &len) == 1 && len == d.size();
    // Only an OpenSSL that cannot hash at all gets here: nothing sensible can go on.
    if (!ok) throw std::runtime_error("OpenSSL SHA-256 failed");
    return d;
}

Digest sha256(std::string_view bytes) {
    return sha256({bytes});
}

std::string_view view(const Digest& d) {
    return {reinterpret_cast<const char*>(d.data()), d.size()};
}

std::string to_hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

bool from_hex(std::string_view hex, std::uint8_t* out, std::size_t n) {
    if (hex.size() != 2 * n) return false;
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    for (std::size_t i = 0; i < n; ++i) {
        const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    return true;
}

std::optional<Digest> digest_from_hex(std::string_view hex) {
    Digest d{};
    if (!from_hex(hex, d.data(), d.size())) return std::nullopt;
    return d;
}

}  // namespace raftor::crypto
