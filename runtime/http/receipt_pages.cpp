#include "runtime/http/receipt_pages.hpp"

namespace raftor::http {

using json = nlohmann::json;

std::uint64_t ReceiptPages::limit() const {
    return last_ - from_ < page_size ? last_ - from_ + 1 : page_size;
}

std::string ReceiptPages::next_target(bool stale) const {
    return "/receipts?from=" + std::to_string(from_) + "&limit=" + std::to_string(limit()) +
           (stale ? "&stale=true" : "");
}

bool ReceiptPages::add(const std::string& body, std::string& error) {
    json page = json::parse(body, nullptr, false);
    if (page.is_discarded() || !page.is_object() || !page.contains("receipts") || !page["receipts"].is_array())
        return error = "GET /receipts did not answer a receipts object", false;
    if (all_.is_null()) {
        all_ = page;
    } else if (page["base"] != all_["base"]) {
        return error = "the history was pruned while it was read (base " + all_["base"].dump() + " became " +
                       page["base"].dump() + "); read it again",
               false;
    }
    const std::size_t n = page["receipts"].size();
    const std::uint64_t asked = limit();
    for (auto& x : page["receipts"]) list_.push_back(std::move(x));
    for (const char* k : {"head", "sealedThrough", "keys"}) all_[k] = page[k];
    done_ = n < asked;
    if (!done_) {
        from_ = list_.back().value("sequence", std::uint64_t{0}) + 1;
        done_ = from_ > last_;
    }
    return true;
}

std::string ReceiptPages::dump(std::string& error) const {
    json out = all_.is_null() ? json::object() : all_;
    out["receipts"] = list_;
    if (!ranged_) return out.dump();
    const std::uint64_t base = out.contains("base") ? out["base"].value("sequence", std::uint64_t{0}) : 0;
    if (list_.empty() || list_.front().value("sequence", std::uint64_t{0}) != first_) {
        error = "receipt " + std::to_string(first_) + " is not kept: the chain kept starts after receipt " +
                std::to_string(base) + " and ends at " +
                std::to_string(out.contains("head") ? out["head"].value("sequence", std::uint64_t{0}) : 0);
        return {};
    }
    // The range stands on its own: it starts where its first receipt links to, and ends
    // at its last; each receipt's batch signature vouches for it.
    out["base"] = {{"sequence", first_ - 1}, {"hash", list_.front().value("prevHash", std::string())}};
    out["head"] = {{"sequence", list_.back().value("sequence", std::uint64_t{0})},
                   {"hash", list_.back().value("hash", std::string())}};
    return out.dump();
}

}  // namespace raftor::http
