#include "runtime/state/leader_terms.hpp"

#include <algorithm>

namespace raftor::state {

void LeaderTerms::note(std::uint64_t term, std::int64_t at_ms, const std::string& node) {
    if (!terms_.empty() && term < terms_.back().term) return;  // an entry an earlier leader proposed
    if (terms_.empty() || term > terms_.back().term) {
        LeaderTerm t;
        t.term = term;
        t.from_ms = t.last_ms = at_ms;
        t.follows = !terms_.empty();
        // A new leader's clock may be behind its predecessor's: the terms do not overlap.
        if (!terms_.empty()) t.from_ms = t.last_ms = std::max(at_ms, terms_.back().last_ms);
        terms_.push_back(std::move(t));
    }
    LeaderTerm& t = terms_.back();
    t.last_ms = std::max(t.last_ms, at_ms);
    if (!node.empty() && t.node.empty()) t.node = node;
}

void LeaderTerms::drop_before(std::int64_t from_ms) {
    // A bound on records, whatever the clocks said: a flapping cluster makes many.
    constexpr std::size_t terms_max = 100'000;
    while (terms_.size() > 1 && (terms_.front().last_ms < from_ms || terms_.size() > terms_max)) terms_.pop_front();
}

std::uint64_t LeaderTerms::changes(std::int64_t from_ms, std::int64_t to_ms) const {
    std::uint64_t n = 0;
    for (const auto& t : terms_) n += t.follows && t.from_ms >= from_ms && t.from_ms <= to_ms;
    return n;
}

std::int64_t LeaderTerms::led_ms(std::int64_t from_ms, std::int64_t to_ms) const {
    std::int64_t led = 0;
    for (std::size_t i = 0; i < terms_.size(); ++i) {
        const LeaderTerm& t = terms_[i];
        std::int64_t end = t.last_ms;
        // The latest term, still ticking: its leader leads until now.
        if (i + 1 == terms_.size() && to_ms - t.last_ms <= 2 * leader_tick_ms) end = std::max(end, to_ms);
        const std::int64_t lo = std::max(t.from_ms, from_ms), hi = std::min(end, to_ms);
        if (hi > lo) led += hi - lo;
    }
    return led;
}

}  // namespace raftor::state
