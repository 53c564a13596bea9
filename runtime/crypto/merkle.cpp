#include "runtime/crypto/merkle.hpp"

namespace raftor::crypto {

Digest merkle_leaf(const Digest& item) {
    static constexpr char prefix = 0;
    return sha256({std::string_view(&prefix, 1), view(item)});
}

Digest merkle_node(const Digest& left, const Digest& right) {
    static constexpr char prefix = 1;
    return sha256({std::string_view(&prefix, 1), view(left), view(right)});
}

MerkleTree::MerkleTree(const std::vector<Digest>& items) {
    if (items.empty()) return;
    std::vector<Digest> level;
    level.reserve(items.size());
    for (const auto& d : items) level.push_back(merkle_leaf(d));
    levels_.push_back(std::move(level));
    while (levels_.back().size() > 1) {
        const auto& below = levels_.back();
        std::vector<Digest> up;
        up.reserve((below.size() + 1) / 2);
        for (std::size_t i = 0; i + 1 < below.size(); i += 2) up.push_back(merkle_node(below[i], below[i + 1]));
        if (below.size() % 2 == 1) up.push_back(below.back());
        levels_.push_back(std::move(up));
    }
}

Digest MerkleTree::root() const {
    return levels_.empty() ? sha256(std::string_view()) : levels_.back().front();
}

std::vector<Digest> MerkleTree::proof(std::size_t index) const {
    std::vector<Digest> out;
    if (index >= size()) return out;
    for (std::size_t l = 0; l + 1 < levels_.size(); ++l, index /= 2) {
        const auto& level = levels_[l];
        if (index % 2 == 1)
            out.push_back(level[index - 1]);
        else if (index + 1 < level.size())
            out.push_back(level[index + 1]);
        // else: the last node of an odd level moves up with no sibling
    }
    return out;
}

bool merkle_verify(const Digest& item, std::size_t index, std::size_t size, const std::vector<Digest>& proof,
                   const Digest& root) {
    if (size == 0 || index >= size) return false;
    Digest cur = merkle_leaf(item);
    std::size_t used = 0;
    for (std::size_t n = size; n > 1; n = (n + 1) / 2, index /= 2) {
        if (index % 2 == 1) {
            if (used == proof.size()) return false;
            cur = merkle_node(proof[used++], cur);
        } else if (index + 1 < n) {
            if (used == proof.size()) return false;
            cur = merkle_node(cur, proof[used++]);
        }
    }
    return used == proof.size() && cur == root;
}

}  // namespace raftor::crypto
