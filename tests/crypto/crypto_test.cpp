#define BOOST_TEST_MODULE crypto
#include <boost/test/unit_test.hpp>

#include "runtime/crypto/ed25519.hpp"
#include "runtime/crypto/merkle.hpp"
#include "runtime/crypto/sha256.hpp"

using namespace raftor::crypto;

namespace {

std::string unhex(const std::string& h) {
    std::string out;
    for (std::size_t i = 0; i + 1 < h.size(); i += 2) out += static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16));
    return out;
}

// RFC 6962's definition, top-down, to check the bottom-up tree against.
Digest reference_root(const std::vector<Digest>& items, std::size_t from, std::size_t n) {
    if (n == 1) return merkle_leaf(items[from]);
    std::size_t k = 1;
    while (k * 2 < n) k *= 2;
    return merkle_node(reference_root(items, from, k), reference_root(items, from + k, n - k));
}

std::vector<Digest> items(std::size_t n) {
    std::vector<Digest> v;
    for (std::size_t i = 0; i < n; ++i) v.push_back(sha256("receipt " + std::to_string(i)));
    return v;
}

}  // namespace

BOOST_AUTO_TEST_CASE(sha256_known_answers_and_hex) {
    BOOST_TEST(to_hex(sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    BOOST_TEST(to_hex(sha256("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    BOOST_TEST(to_hex(sha256({"a", "bc"})) == to_hex(sha256("abc")));
    const Digest d = sha256("x");
    BOOST_TEST((digest_from_hex(to_hex(d)) == d));
    BOOST_TEST(!digest_from_hex("abc"));
    BOOST_TEST(!digest_from_hex(std::string(63, '0') + "g"));
}

// RFC 8032, section 7.1, test 1 and test 2.
BOOST_AUTO_TEST_CASE(ed25519_rfc8032_vectors) {
    std::string error;
    auto k = SigningKey::from_private(unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"), error);
    BOOST_REQUIRE_MESSAGE(k, error);
    BOOST_TEST(to_hex(view(k->public_key())) == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    const Signature s = k->sign("");
    BOOST_TEST(to_hex(view(s)) ==
               "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5"
               "f0595bbe24655141438e7a100b");
    BOOST_TEST(verify(k->public_key(), "", s));
    auto k2 =
        SigningKey::from_private(unhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"), error);
    BOOST_REQUIRE(k2);
    BOOST_TEST(to_hex(view(k2->sign(unhex("72")))) ==
               "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2e"
               "aeb4302aeeb00d291612bb0c00");
}

BOOST_AUTO_TEST_CASE(ed25519_sign_verify_and_what_fails) {
    const SigningKey k = SigningKey::generate();
    const SigningKey other = SigningKey::generate();
    const std::string msg = "execution 42 finished: success";
    Signature s = k.sign(msg);
    BOOST_TEST(verify(k.public_key(), msg, s));
    BOOST_TEST(!verify(k.public_key(), msg + ".", s));
    BOOST_TEST(!verify(other.public_key(), msg, s));
    s[10] ^= 1;
    BOOST_TEST(!verify(k.public_key(), msg, s));
    // A key round-trips through its private bytes.
    std::string error;
    auto again = SigningKey::from_private(k.private_bytes(), error);
    BOOST_REQUIRE(again);
    BOOST_TEST((again->public_key() == k.public_key()));
    BOOST_TEST(!SigningKey::from_private("short", error));
    BOOST_TEST(error.find("32 bytes, not 5") != std::string::npos);
}

// With a memo (the simulator's), the verdicts are the same: the memo keys on the key,
// the message and the signature, every byte of each.
BOOST_AUTO_TEST_CASE(ed25519_verify_memo_gives_the_same_verdicts) {
    const SigningKey k = SigningKey::generate();
    const SigningKey other = SigningKey::generate();
    const std::string msg = "batch root";
    const Signature s = k.sign(msg);
    Signature changed = s;
    changed[63] ^= 1;
    const VerifyMemo memo;
    for (int round = 0; round < 2; ++round) {  // the second round is answered from the memo
        BOOST_TEST(verify(k.public_key(), msg, s));
        BOOST_TEST(!verify(k.public_key(), msg + ".", s));
        BOOST_TEST(!verify(other.public_key(), msg, s));
        BOOST_TEST(!verify(k.public_key(), msg, changed));
    }
}

// Under a memo, what a key signs verifies without a verification, and only that: the
// same signature under another key or message, or a changed one, is verified and fails.
BOOST_AUTO_TEST_CASE(ed25519_memo_knows_what_this_thread_signed_and_nothing_more) {
    const SigningKey k = SigningKey::generate();
    const SigningKey other = SigningKey::generate();
    const std::string msg = "batch root";
    Signature s{};
    {
        const VerifyMemo memo;
        s = k.sign(msg);
        Signature changed = s;
        changed[0] ^= 1;
        BOOST_TEST(verify(k.public_key(), msg, s));
        BOOST_TEST(!verify(other.public_key(), msg, s));
        BOOST_TEST(!verify(k.public_key(), msg + ".", s));
        BOOST_TEST(!verify(k.public_key(), msg, changed));
    }
    // Signed under a memo, verified in full once it is gone: the same verdict.
    BOOST_TEST(verify(k.public_key(), msg, s));
}

BOOST_AUTO_TEST_CASE(merkle_tree_is_rfc6962s_and_every_proof_verifies) {
    BOOST_TEST((merkle_root({}) == sha256("")));
    for (std::size_t n = 1; n <= 70; ++n) {
        const auto v = items(n);
        const MerkleTree tree(v);
        BOOST_TEST((tree.root() == reference_root(v, 0, n)), "size " << n);
        for (std::size_t i = 0; i < n; ++i) {
            const auto proof = tree.proof(i);
            BOOST_TEST(merkle_verify(v[i], i, n, proof, tree.root()), "size " << n << " index " << i);
            // The wrong item, index, size or a changed sibling never verifies.
            BOOST_TEST(!merkle_verify(sha256("forged"), i, n, proof, tree.root()));
            if (n > 1) BOOST_TEST(!merkle_verify(v[i], (i + 1) % n, n, proof, tree.root()));
            if (!proof.empty()) {
                auto bad = proof;
                bad.front()[0] ^= 1;
                BOOST_TEST(!merkle_verify(v[i], i, n, bad, tree.root()));
                bad = proof;
                bad.pop_back();
                BOOST_TEST(!merkle_verify(v[i], i, n, bad, tree.root()));
            }
        }
    }
    BOOST_TEST(!merkle_verify(items(1)[0], 0, 0, {}, sha256("")));
    BOOST_TEST(!merkle_verify(items(1)[0], 1, 1, {}, merkle_root(items(1))));
}
