#include "runtime/http/receipt_pages.hpp"

namespace raftor::http {

using json = nlohmann::json;

std::string ReceiptPages::next_target(bool stale) const {
    return "/receipts?from=" + std::to_string(from_) + "&limit=" + std::to_string(page_size) +
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
    for (auto& x : page["receipts"]) list_.push_back(std::move(x));
    for (const char* k : {"head", "sealedThrough", "keys"}) all_[k] = page[k];
    done_ = n < page_size;
    if (!done_) from_ = list_.back().value("sequence", std::uint64_t{0}) + 1;
    return true;
}

std::string ReceiptPages::dump() const {
    json out = all_.is_null() ? json::object() : all_;
    out["receipts"] = list_;
    return out.dump();
}

}  // namespace raftor::http
