#include "runtime/crypto/ed25519.hpp"

#include <openssl/evp.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>

namespace raftor::crypto {

namespace {

EVP_PKEY* as_pkey(void* p) {
    return static_cast<EVP_PKEY*>(p);
}

struct MdCtx {
    EVP_MD_CTX* p = EVP_MD_CTX_new();
    ~MdCtx() { EVP_MD_CTX_free(p); }
};

}  // namespace

void SigningKey::Free::operator()(void* p) const {
    EVP_PKEY_free(as_pkey(p));
}

SigningKey::SigningKey(std::unique_ptr<void, Free> pkey) : pkey_(std::move(pkey)) {
    std::size_t len = public_.size();
    if (EVP_PKEY_get_raw_public_key(as_pkey(pkey_.get()), public_.data(), &len) != 1 || len != public_.size())
        throw std::runtime_error("OpenSSL: cannot read an Ed25519 public key");
}

SigningKey SigningKey::generate() {
    EVP_PKEY* k = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    if (k == nullptr) throw std::runtime_error("OpenSSL: cannot generate an Ed25519 key");
    return SigningKey(std::unique_ptr<void, Free>(k));
}

std::optional<SigningKey> SigningKey::from_private(std::string_view raw, std::string& error) {
    if (raw.size() != 32) {
        error = "an Ed25519 private key is 32 bytes, not " + std::to_string(raw.size());
        return std::nullopt;
    }
    EVP_PKEY* k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                               reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
    if (k == nullptr) {
        error = "OpenSSL refused the Ed25519 private key";
        return std::nullopt;
    }
    return SigningKey(std::unique_ptr<void, Free>(k));
}

std::string SigningKey::private_bytes() const {
    std::string out(32, '\0');
    std::size_t len = out.size();
    if (EVP_PKEY_get_raw_private_key(as_pkey(pkey_.get()), reinterpret_cast<unsigned char*>(out.data()), &len) != 1 ||
        len != 32)
        throw std::runtime_error("OpenSSL: cannot read an Ed25519 private key");
    return out;
}

namespace {
// Key, message and signature, as one string -> the verdict. Bounded: cleared when full.
thread_local std::unique_ptr<std::unordered_map<std::string, bool>> memo;
thread_local int memo_users = 0;
constexpr std::size_t memo_max = 100'000;

std::string memo_key(const PublicKey& key, std::string_view message, const Signature& sig) {
    std::string k(reinterpret_cast<const char*>(key.data()), key.size());
    k.append(message).append(reinterpret_cast<const char*>(sig.data()), sig.size());
    return k;
}

// A signature this thread just made with the private half of `key` verifies under `key`
// (Ed25519 signs deterministically and correctly: crypto.primitives checks it). Under
// a memo, the verdict is known without the verification, which costs about two and a
// half signings (callgrind, seed 1 of the simulator).
// Any other key, message or signature is not in the memo and is verified in full.
void remember(std::string key, bool verdict) {
    if (memo->size() >= memo_max) memo->clear();
    memo->insert_or_assign(std::move(key), verdict);
}
void remember_signed(const PublicKey& key, std::string_view message, const Signature& sig) {
    if (memo != nullptr) remember(memo_key(key, message, sig), true);
}
}  // namespace

// Ed25519 in OpenSSL 3 is one-shot only: EVP_DigestSign with no digest.
Signature SigningKey::sign(std::string_view message) const {
    thread_local MdCtx ctx;
    Signature sig{};
    std::size_t len = sig.size();
    EVP_MD_CTX_reset(ctx.p);
    if (EVP_DigestSignInit(ctx.p, nullptr, nullptr, nullptr, as_pkey(pkey_.get())) != 1 ||
        EVP_DigestSign(ctx.p, sig.data(), &len, reinterpret_cast<const unsigned char*>(message.data()),
                       message.size()) != 1 ||
        len != sig.size())
        throw std::runtime_error("OpenSSL: Ed25519 signing failed");
    remember_signed(public_, message, sig);
    return sig;
}

VerifyMemo::VerifyMemo() {
    if (memo_users++ == 0) memo = std::make_unique<std::unordered_map<std::string, bool>>();
}
VerifyMemo::~VerifyMemo() {
    if (--memo_users == 0) memo.reset();
}

static bool verify_now(const PublicKey& key, std::string_view message, const Signature& sig);

bool verify(const PublicKey& key, std::string_view message, const Signature& sig) {
    if (memo == nullptr) return verify_now(key, message, sig);
    std::string k = memo_key(key, message, sig);
    if (auto it = memo->find(k); it != memo->end()) return it->second;
    const bool ok = verify_now(key, message, sig);
    remember(std::move(k), ok);
    return ok;
}

static bool verify_now(const PublicKey& key, std::string_view message, const Signature& sig) {
    EVP_PKEY* k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, key.data(), key.size());
    if (k == nullptr) return false;  // not a point on the curve: nothing verifies under it
    thread_local MdCtx ctx;
    EVP_MD_CTX_reset(ctx.p);
    const bool ok = EVP_DigestVerifyInit(ctx.p, nullptr, nullptr, nullptr, k) == 1 &&
                    EVP_DigestVerify(ctx.p, sig.data(), sig.size(),
                                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
    EVP_PKEY_free(k);
    return ok;
}

std::string_view view(const Signature& s) {
    return {reinterpret_cast<const char*>(s.data()), s.size()};
}

}  // namespace raftor::crypto
