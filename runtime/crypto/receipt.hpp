#pragma once
// Execution receipts: what ran, where, when, with what result - hash-chained in log
// order and signed a batch at a time (Ed25519 over the batch's Merkle root), so anyone
// with the members' public keys can check a whole history offline, and the first link
// that does not hold is named.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/crypto/ed25519.hpp"
#include "runtime/crypto/sha256.hpp"

namespace raftor::crypto {

struct Receipt {
    std::uint64_t sequence = 0;  // position in the chain, from 1
    std::string execution_id;
    std::string operation_id;
    std::string node;  // where the handler ran
    std::uint64_t started_at_ms = 0;
    std::uint64_t finished_at_ms = 0;
    std::string status;
    Digest input_hash{};
    Digest output_hash{};
    Digest prev_hash{};  // zeros for the first receipt
    // The batch it was signed in.
    std::string signer;
    Digest batch_root{};
    std::uint32_t batch_index = 0;
    std::uint32_t batch_size = 0;
    std::vector<Digest> proof;
    Signature signature{};
};

// The hash of a receipt's content (everything but its batch and signature): what the
// next receipt links to and what the batch's Merkle tree is built over.
Digest receipt_hash(const Receipt& r);

// The message a batch's signature covers.
std::string batch_message(const Digest& root);

// Appends receipts in log order: numbers them and links each to the one before.
class ReceiptChain {
public:
    ReceiptChain() = default;
    ReceiptChain(std::uint64_t last_sequence, const Digest& head) : last_(last_sequence), head_(head) {}
    void append(Receipt& r);
    std::uint64_t last_sequence() const { return last_; }
    const Digest& head() const { return head_; }

private:
    std::uint64_t last_ = 0;
    Digest head_{};
};

// Signs receipts [first, first + count) of `receipts` as one batch: fills in the signer,
// root, index, size, proof and signature of each.
void seal_batch(std::vector<Receipt>& receipts, std::size_t first, std::size_t count, const SigningKey& key,
                const std::string& signer);

struct ChainCheck {
    bool ok = true;
    std::uint64_t checked = 0;       // receipts that verified
    std::uint64_t bad_sequence = 0;  // the first that did not (its sequence number)
    std::string error;               // why, naming the receipt
    Digest head{};                   // the hash of the last receipt that verified
};

// Where a chain is known to end (the replicated state's head, a backup's manifest): so
// that receipts cut off the end cannot go unnoticed.
struct ChainEnd {
    std::uint64_t sequence = 0;
    Digest head{};
};

// Checks receipts in order: numbering, each link to the previous receipt, each
// receipt's place in its batch, each batch's signature by its signer's key, and, when
// given, that the chain ends where it should. A chain that does not start at sequence 1
// starts after (`after_sequence`, `after_hash`). Receipts after `sealed_through` are not
// signed yet: only their numbering and links are checked (so a change to one still
// breaks the next link, or the head).
// Every key each member has held, oldest first: a member that lost its data dir (or a
// cluster restored from a backup) signs with a new key, and the old batches still verify.
using KeyRing = std::map<std::string, std::vector<PublicKey>>;

ChainCheck verify_chain(const std::vector<Receipt>& receipts, const KeyRing& keys,
                        const std::optional<ChainEnd>& end = std::nullopt, std::uint64_t after_sequence = 0,
                        const Digest& after_hash = Digest{}, std::uint64_t sealed_through = UINT64_MAX);

// Cap'n Proto: one receipt, or a list (a backup's or an API's).
std::string encode_receipts(const std::vector<Receipt>& receipts);
std::optional<std::vector<Receipt>> decode_receipts(std::string_view bytes, std::string& error);

}  // namespace raftor::crypto
