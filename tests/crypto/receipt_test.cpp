// Receipt chains: built and sealed in batches, they verify offline; a change to any
// stored byte is found, and the first bad link is named.
#include "runtime/crypto/receipt.hpp"

#include <boost/test/unit_test.hpp>

using namespace raftor::crypto;

namespace {

struct Chain {
    SigningKey n1 = SigningKey::generate();
    SigningKey n2 = SigningKey::generate();
    std::vector<Receipt> receipts;
    KeyRing keys{{"node-1", {n1.public_key()}}, {"node-2", {n2.public_key()}}};
};

// `count` receipts in batches of the given sizes (cycled), signed by alternating nodes
// as if leadership moved between batches.
Chain build(std::size_t count, std::vector<std::size_t> batches) {
    Chain c;
    ReceiptChain chain;
    for (std::size_t i = 0; i < count; ++i) {
        Receipt r;
        r.execution_id = "exec-" + std::to_string(i);
        r.operation_id = "op-" + std::to_string(i % 7);
        r.node = i % 2 ? "node-1" : "node-2";
        r.started_at_ms = 1'700'000'000'000 + i * 1000;
        r.finished_at_ms = r.started_at_ms + 12;
        r.status = i % 5 ? "success" : "failed";
        r.input_hash = sha256("input " + std::to_string(i));
        r.output_hash = sha256("output " + std::to_string(i));
        chain.append(r);
        c.receipts.push_back(std::move(r));
    }
    std::size_t at = 0, b = 0;
    while (at < count) {
        const std::size_t n = std::min(batches[b % batches.size()], count - at);
        seal_batch(c.receipts, at, n, b % 2 ? c.n2 : c.n1, b % 2 ? "node-2" : "node-1");
        at += n;
        ++b;
    }
    return c;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(receipts)

BOOST_AUTO_TEST_CASE(a_chain_sealed_in_batches_verifies_and_survives_encoding) {
    for (const auto& batches : std::vector<std::vector<std::size_t>>{{1}, {3, 1, 8}, {64}, {1000}}) {
        Chain c = build(1000, batches);
        const ChainCheck check = verify_chain(c.receipts, c.keys);
        BOOST_TEST(check.ok, check.error);
        BOOST_TEST(check.checked == 1000u);
        BOOST_TEST((check.head == receipt_hash(c.receipts.back())));
        std::string error;
        const auto back = decode_receipts(encode_receipts(c.receipts), error);
        BOOST_REQUIRE_MESSAGE(back, error);
        BOOST_TEST(verify_chain(*back, c.keys).ok);
        // A later part of the chain verifies on its own from the receipt before it.
        std::vector<Receipt> tail(c.receipts.begin() + 500, c.receipts.end());
        const ChainEnd end{1000, receipt_hash(c.receipts.back())};
        BOOST_TEST(verify_chain(tail, c.keys, end, 500, receipt_hash(c.receipts[499])).ok);
        // Cut off the end: only the known head notices.
        std::vector<Receipt> cut(c.receipts.begin(), c.receipts.end() - 3);
        BOOST_TEST(verify_chain(cut, c.keys).ok);
        const ChainCheck short_chain = verify_chain(cut, c.keys, end);
        BOOST_TEST(!short_chain.ok);
        BOOST_TEST(short_chain.error.find("receipts are missing from the end") != std::string::npos);
    }
}

// Flip each byte of the stored chain in turn: either the bytes no longer
// decode, or verification fails and names a receipt - never a silent pass.
BOOST_AUTO_TEST_CASE(any_changed_stored_byte_is_found) {
    Chain c = build(12, {5, 3});
    const std::string stored = encode_receipts(c.receipts);
    const ChainEnd end{12, receipt_hash(c.receipts.back())};
    std::size_t caught = 0, undecodable = 0, harmless = 0;
    for (std::size_t at = 0; at < stored.size(); ++at) {
        std::string bad = stored;
        bad[at] = static_cast<char>(bad[at] ^ 0x01);
        std::string error;
        const auto receipts = decode_receipts(bad, error);
        if (!receipts) {
            ++undecodable;
            continue;
        }
        const ChainCheck check = verify_chain(*receipts, c.keys, end);
        if (!check.ok) {
            ++caught;
            BOOST_TEST((check.error.find("receipt ") == 0u || check.error.find("the chain ends") == 0u), check.error);
        } else {
            // Only bytes that carry no receipt data may change without notice: padding
            // and unused pointer bits of Cap'n Proto's framing.
            ++harmless;
            BOOST_TEST(receipts->size() == c.receipts.size());
            for (std::size_t i = 0; i < receipts->size(); ++i)
                BOOST_TEST((receipt_hash((*receipts)[i]) == receipt_hash(c.receipts[i])));
        }
    }
    BOOST_TEST_MESSAGE(stored.size() << " bytes: " << caught << " caught by verify, " << undecodable
                                     << " refused by the decoder, " << harmless << " without effect");
    BOOST_TEST(caught > stored.size() / 2);
}

BOOST_AUTO_TEST_CASE(the_first_bad_link_is_named) {
    Chain c = build(30, {4});
    auto expect = [&](std::vector<Receipt> rs, std::uint64_t seq, const std::string& says, std::uint64_t good) {
        const ChainCheck check = verify_chain(rs, c.keys);
        BOOST_TEST(!check.ok);
        BOOST_TEST(check.bad_sequence == seq);
        BOOST_TEST(check.checked == good);
        BOOST_TEST(check.error.find(says) != std::string::npos, check.error);
    };
    auto rs = c.receipts;
    rs[11].status += "!";
    expect(rs, 12, "does not match its batch", 11);
    rs = c.receipts;
    rs.erase(rs.begin() + 7);  // a receipt removed
    expect(rs, 9, "out of order: expected sequence 8", 7);
    rs = c.receipts;
    std::swap(rs[3], rs[4]);
    expect(rs, 5, "out of order: expected sequence 4", 3);
    rs = c.receipts;
    rs[20].prev_hash = sha256("elsewhere");
    expect(rs, 21, "is not the hash", 20);
    rs = c.receipts;
    rs[16].signature[0] ^= 1;  // the first receipt of a batch of 4
    expect(rs, 17, "does not verify under any key of 'node-1'", 16);
    rs = c.receipts;
    rs[5].signer = "node-9";
    expect(rs, 6, "whose public key is not known", 5);
    // Re-signing a changed batch with a key the verifier does not trust fails too.
    rs = c.receipts;
    rs[2].status = "forged";
    const SigningKey mallory = SigningKey::generate();
    seal_batch(rs, 0, 4, mallory, "node-1");
    expect(rs, 1, "does not verify under any key of 'node-1'", 0);
}

// The tail not yet sealed carries no signature: its links are still checked, so a
// change to it breaks the next link or the head.
BOOST_AUTO_TEST_CASE(an_unsealed_tail_is_checked_by_its_links) {
    Chain c = build(20, {4});
    for (std::size_t i = 16; i < 20; ++i) {
        c.receipts[i].signer.clear();
        c.receipts[i].proof.clear();
        c.receipts[i].signature = {};
    }
    const ChainEnd end{20, receipt_hash(c.receipts.back())};
    BOOST_TEST(!verify_chain(c.receipts, c.keys, end).ok);  // sealed_through says all are signed
    const ChainCheck check = verify_chain(c.receipts, c.keys, end, 0, Digest{}, 16);
    BOOST_TEST(check.ok, check.error);
    BOOST_TEST(check.checked == 20u);
    auto rs = c.receipts;
    rs[17].status = "forged";
    ChainCheck bad = verify_chain(rs, c.keys, end, 0, Digest{}, 16);
    BOOST_TEST(!bad.ok);
    BOOST_TEST(bad.bad_sequence == 19u, bad.error);
    rs = c.receipts;
    rs[19].output_hash[0] ^= 1;  // the last one: only the head can tell
    bad = verify_chain(rs, c.keys, end, 0, Digest{}, 16);
    BOOST_TEST(!bad.ok);
    BOOST_TEST(bad.error.find("receipts are missing from the end") == std::string::npos);
    BOOST_TEST(bad.error.find("is not the head") != std::string::npos, bad.error);
}

BOOST_AUTO_TEST_CASE(bad_bytes_are_refused_with_a_reason) {
    std::string error;
    BOOST_TEST(!decode_receipts("", error));
    BOOST_TEST(error.find("receipts") == 0u);
    BOOST_TEST(!decode_receipts(std::string(24, '\xff'), error));
    Chain c = build(1, {1});
    c.receipts[0].proof.clear();
    std::string enc = encode_receipts(c.receipts);
    BOOST_TEST(decode_receipts(enc, error).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
