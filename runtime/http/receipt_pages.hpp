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

    // The next page to ask for.
    std::string next_target(bool stale = false) const;
    // One page's body; false with `error` when it is not a page or does not join the
    // pages before it (retention pruned receipts in between).
    bool add(const std::string& body, std::string& error);
    bool done() const { return done_; }
    // The joined dump: {base, head, sealedThrough, keys, receipts}.
    std::string dump() const;

private:
    nlohmann::json all_;
    nlohmann::json list_ = nlohmann::json::array();
    std::uint64_t from_ = 0;
    bool done_ = false;
};

}  // namespace raftor::http
