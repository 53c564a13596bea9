#pragma once
// An operation's whole history, read page by page (a page holds at most 1,000): each
// page starts after the last finished execution of the one before; the active ones
// come on the last page.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace raftor::testing {

// Get: (const std::string& target) -> std::optional<nlohmann::json>, the page or nothing.
template <class Get>
std::optional<nlohmann::json> whole_history(const std::string& op, Get get, const std::string& extra = {}) {
    constexpr std::size_t page_size = 1000;
    nlohmann::json all = nlohmann::json::array();
    std::uint64_t from = 0;
    for (;;) {
        std::optional<nlohmann::json> page = get("/operations/" + op + "/history?limit=" + std::to_string(page_size) +
                                                 "&from=" + std::to_string(from) + extra);
        if (!page || !page->is_array()) return std::nullopt;
        bool more = page->size() == page_size;
        for (auto& e : *page) {
            if (e.contains("sequence"))
                from = e["sequence"].get<std::uint64_t>() + 1;
            else
                more = false;  // an active execution: the finished ones have run out
            all.push_back(std::move(e));
        }
        if (!more) return all;
    }
}

}  // namespace raftor::testing
