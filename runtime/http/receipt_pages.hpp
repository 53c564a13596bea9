#pragma once
// GET /receipts answers at most 1,000 receipts a page; this joins the pages into one
// dump of the same shape (pure: the caller fetches). Each page is a linearizable read,
// so the last page's head, seals and keys cover every page before it.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace raftor::http {

class ReceiptPages {
public:
    static constexpr std::uint64_t page_size = 1'000;

    ReceiptPages() = default;
    // Only receipts `from` through `to`: the dump then starts after receipt from - 1 (its
    // hash is receipt `from`'s link) and ends at `to`, or at the last receipt kept.
    ReceiptPages(std::uint64_t from, std::uint64_t to) : from_(from), first_(from), last_(to), ranged_(true) {}

    // The next page to ask for.
    std::string next_target(bool stale = false) const;
    // One page's body; false with `error` when it is not a page or does not join the
    // pages before it (retention pruned receipts in between).
    bool add(const std::string& body, std::string& error);
    bool done() const { return done_; }
    // The joined dump: {base, head, sealedThrough, keys, receipts}; empty with `error`
    // when a range asked for is not kept (pruned, or past the chain's head).
    std::string dump(std::string& error) const;

private:
    std::uint64_t limit() const;
    nlohmann::json all_;
    nlohmann::json list_ = nlohmann::json::array();
    std::uint64_t from_ = 0;
    std::uint64_t first_ = 0, last_ = UINT64_MAX;
    bool ranged_ = false;
    bool done_ = false;
};

}  // namespace raftor::http
