#include "runtime/crypto/receipt.hpp"

#include <algorithm>
#include <set>

#include "runtime/crypto/merkle.hpp"
#include "runtime/raft/capnp_io.hpp"
#include "schema/receipt.capnp.h"

namespace raftor::crypto {

namespace {

// Length-prefixed fields after a version tag: no two different receipts encode alike.
void put_u64(std::string& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out += static_cast<char>(v >> (8 * i) & 0xff);
}
void put_bytes(std::string& out, std::string_view b) {
    put_u64(out, b.size());
    out.append(b);
}

std::string short_hex(const Digest& d) {
    return to_hex(d).substr(0, 16);
}

std::string who(const Receipt& r) {
    return "receipt " + std::to_string(r.sequence) + " (execution '" + r.execution_id + "')";
}

}  // namespace

Digest receipt_hash(const Receipt& r) {
    std::string b = "raftor receipt v1";
    put_u64(b, r.sequence);
    put_bytes(b, r.execution_id);
    put_bytes(b, r.operation_id);
    put_bytes(b, r.node);
    put_u64(b, r.started_at_ms);
    put_u64(b, r.finished_at_ms);
    put_bytes(b, r.status);
    put_bytes(b, view(r.input_hash));
    put_bytes(b, view(r.output_hash));
    put_bytes(b, view(r.prev_hash));
    return sha256(b);
}

std::string batch_message(const Digest& root) {
    return "raftor receipt batch v1" + std::string(view(root));
}

void ReceiptChain::append(Receipt& r) {
    r.sequence = ++last_;
    r.prev_hash = head_;
    head_ = receipt_hash(r);
}

void seal_batch(std::vector<Receipt>& receipts, std::size_t first, std::size_t count, const SigningKey& key,
                const std::string& signer) {
    std::vector<Digest> hashes;
    hashes.reserve(count);
    for (std::size_t i = first; i < first + count; ++i) hashes.push_back(receipt_hash(receipts[i]));
    const MerkleTree tree(hashes);
    const Digest root = tree.root();
    const Signature sig = key.sign(batch_message(root));
    for (std::size_t i = 0; i < count; ++i) {
        Receipt& r = receipts[first + i];
        r.signer = signer;
        r.batch_root = root;
        r.batch_index = static_cast<std::uint32_t>(i);
        r.batch_size = static_cast<std::uint32_t>(count);
        r.proof = tree.proof(i);
        r.signature = sig;
    }
}

ChainCheck verify_chain(const std::vector<Receipt>& receipts, const KeyRing& keys, const std::optional<ChainEnd>& end,
                        std::uint64_t after_sequence, const Digest& after_hash, std::uint64_t sealed_through) {
    ChainCheck c;
    c.head = after_hash;
    std::uint64_t expected = after_sequence + 1;
    // A batch's signature is checked once, for its first receipt met.
    std::set<std::pair<std::string, std::string>> signed_roots;
    auto fail = [&](const Receipt& r, std::string why) {
        c.ok = false;
        c.bad_sequence = r.sequence;
        c.error = who(r) + ": " + std::move(why);
        return c;
    };
    for (const Receipt& r : receipts) {
        if (r.sequence != expected) return fail(r, "out of order: expected sequence " + std::to_string(expected));
        if (r.prev_hash != c.head)
            return fail(
                r, "its previous-receipt hash " + short_hex(r.prev_hash) + " is not the hash " + short_hex(c.head) +
                       " of " +
                       (expected == 1 ? std::string("the chain's start") : "receipt " + std::to_string(expected - 1)));
        const Digest h = receipt_hash(r);
        if (r.sequence > sealed_through) {
            c.head = h;
            ++c.checked;
            ++expected;
            continue;
        }
        if (!merkle_verify(h, r.batch_index, r.batch_size, r.proof, r.batch_root))
            return fail(r, "its content does not match its batch (index " + std::to_string(r.batch_index) + " of " +
                               std::to_string(r.batch_size) + ", root " + short_hex(r.batch_root) +
                               "): the receipt or its proof was changed");
        const auto key = std::make_pair(r.signer, std::string(view(r.batch_root)) + std::string(view(r.signature)));
        if (!signed_roots.count(key)) {
            auto k = keys.find(r.signer);
            if (k == keys.end() || k->second.empty())
                return fail(r, "signed by '" + r.signer + "', whose public key is not known");
            const auto message = batch_message(r.batch_root);
            if (std::none_of(k->second.begin(), k->second.end(),
                             [&](const PublicKey& pk) { return verify(pk, message, r.signature); }))
                return fail(r, "the signature of its batch (root " + short_hex(r.batch_root) +
                                   ") does not verify under any key of '" + r.signer + "'");
            signed_roots.insert(key);
        }
        c.head = h;
        ++c.checked;
        ++expected;
    }
    if (end && expected - 1 != end->sequence) {
        c.ok = false;
        c.bad_sequence = expected;
        c.error = "the chain ends at receipt " + std::to_string(expected - 1) + " (hash " + short_hex(c.head) +
                  "), but its head is receipt " + std::to_string(end->sequence) + " (hash " + short_hex(end->head) +
                  "): receipts are missing from the end";
    } else if (end && c.head != end->head) {
        c.ok = false;
        c.bad_sequence = end->sequence;
        if (c.checked) --c.checked;
        c.error = "receipt " + std::to_string(end->sequence) + ": its hash " + short_hex(c.head) +
                  " is not the head's hash " + short_hex(end->head) + ": the last receipt or the head was changed";
    }
    return c;
}

std::string encode_receipts(const std::vector<Receipt>& receipts) {
    capnp::MallocMessageBuilder mb;
    auto list = mb.initRoot<schema::ReceiptList>().initReceipts(static_cast<unsigned>(receipts.size()));
    auto data = [](const Digest& d) { return capnp::Data::Reader(d.data(), d.size()); };
    for (unsigned i = 0; i < receipts.size(); ++i) {
        const Receipt& r = receipts[i];
        auto b = list[i];
        b.setSequence(r.sequence);
        b.setExecutionId(r.execution_id);
        b.setOperationId(r.operation_id);
        b.setNode(r.node);
        b.setStartedAtMs(r.started_at_ms);
        b.setFinishedAtMs(r.finished_at_ms);
        b.setStatus(r.status);
        b.setInputHash(data(r.input_hash));
        b.setOutputHash(data(r.output_hash));
        b.setPrevHash(data(r.prev_hash));
        b.setSigner(r.signer);
        b.setBatchRoot(data(r.batch_root));
        b.setBatchIndex(r.batch_index);
        b.setBatchSize(r.batch_size);
        auto proof = b.initProof(static_cast<unsigned>(r.proof.size()));
        for (unsigned j = 0; j < r.proof.size(); ++j) proof.set(j, data(r.proof[j]));
        b.setSignature(capnp::Data::Reader(r.signature.data(), r.signature.size()));
    }
    return raft::detail::to_bytes(mb);
}

std::optional<std::vector<Receipt>> decode_receipts(std::string_view bytes, std::string& error) {
    return raft::detail::decode_root<schema::ReceiptList>(
        bytes, error, "receipts", [&](schema::ReceiptList::Reader root) -> std::optional<std::vector<Receipt>> {
            std::vector<Receipt> out;
            unsigned i = 0;
            auto fixed = [&](capnp::Data::Reader d, auto& into, const char* field) {
                if (d.size() != into.size()) {
                    error = "receipt #" + std::to_string(i) + ": " + field + " is " + std::to_string(d.size()) +
                            " bytes, not " + std::to_string(into.size());
                    return false;
                }
                std::copy(d.begin(), d.end(), into.begin());
                return true;
            };
            for (auto r : root.getReceipts()) {
                Receipt x;
                x.sequence = r.getSequence();
                x.execution_id = r.getExecutionId();
                x.operation_id = r.getOperationId();
                x.node = r.getNode();
                x.started_at_ms = r.getStartedAtMs();
                x.finished_at_ms = r.getFinishedAtMs();
                x.status = r.getStatus();
                x.signer = r.getSigner();
                x.batch_index = r.getBatchIndex();
                x.batch_size = r.getBatchSize();
                if (!fixed(r.getInputHash(), x.input_hash, "inputHash") ||
                    !fixed(r.getOutputHash(), x.output_hash, "outputHash") ||
                    !fixed(r.getPrevHash(), x.prev_hash, "prevHash") ||
                    !fixed(r.getBatchRoot(), x.batch_root, "batchRoot") ||
                    !fixed(r.getSignature(), x.signature, "signature"))
                    return std::nullopt;
                for (auto p : r.getProof()) {
                    Digest d{};
                    if (!fixed(p, d, "a proof hash")) return std::nullopt;
                    x.proof.push_back(d);
                }
                out.push_back(std::move(x));
                ++i;
            }
            return out;
        });
}

}  // namespace raftor::crypto
