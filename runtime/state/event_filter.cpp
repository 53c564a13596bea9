#include "runtime/state/event_filter.hpp"

namespace raftor::state {

std::optional<nlohmann::json> event_body(std::string_view body) {
    // nlohmann's parser keeps its own stack, so a deeply nested body costs memory, not
    // the thread's stack; its size is bounded by the entry's.
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return std::nullopt;
    return j;
}

bool event_matches(const EventFilter& filter, const std::optional<nlohmann::json>& body) {
    if (filter.empty()) return true;
    if (!body) return false;
    for (const auto& [path, expected] : filter) {
        const nlohmann::json* at = &*body;
        std::size_t from = 0;
        while (at) {
            const auto dot = path.find('.', from);
            const std::string key = path.substr(from, dot == std::string::npos ? std::string::npos : dot - from);
            if (!at->is_object()) return false;
            auto it = at->find(key);
            at = it == at->end() ? nullptr : &*it;
            if (dot == std::string::npos) break;
            from = dot + 1;
        }
        if (!at) return false;
        const auto want = nlohmann::json::parse(expected, nullptr, false);
        if (want.is_discarded() || *at != want) return false;
    }
    return true;
}

}  // namespace raftor::state
