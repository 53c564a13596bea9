#pragma once
// A batch of receipts is signed once, over the Merkle root of its receipts' hashes; each
// receipt carries the inclusion proof that ties it to the signed root. The tree is the
// one of RFC 6962 (Certificate Transparency): leaves and inner nodes are hashed with
// different prefixes, so a leaf can never pass for an inner node, and a batch of any
// size has exactly one tree.
#include <cstdint>
#include <vector>

#include "runtime/crypto/sha256.hpp"

namespace raftor::crypto {

Digest merkle_leaf(const Digest& item);                       // H(0x00 || item)
Digest merkle_node(const Digest& left, const Digest& right);  // H(0x01 || left || right)

// Built once per batch, bottom-up (an odd node at the end of a level moves up as it is,
// which gives RFC 6962's tree): the root and every proof without hashing again.
class MerkleTree {
public:
    explicit MerkleTree(const std::vector<Digest>& items);
    Digest root() const;  // the empty batch has H("")
    // The sibling hashes from the leaf up: what proves items[index] is in the tree.
    std::vector<Digest> proof(std::size_t index) const;
    std::size_t size() const { return levels_.empty() ? 0 : levels_.front().size(); }

private:
    std::vector<std::vector<Digest>> levels_;  // leaves first, the root last
};

inline Digest merkle_root(const std::vector<Digest>& items) {
    return MerkleTree(items).root();
}

// True when `item`, at `index` of a batch of `size`, with `proof`, hashes to `root`.
bool merkle_verify(const Digest& item, std::size_t index, std::size_t size, const std::vector<Digest>& proof,
                   const Digest& root);

}  // namespace raftor::crypto
