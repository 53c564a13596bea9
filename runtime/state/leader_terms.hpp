#pragma once
// The cluster's leaders as the log records them: each term that committed an entry,
// from the first entry of the term applied to the last. A leader proposes a tick every
// leader_tick_ms while it leads, so a term's record ends at most that long before the
// leader was lost. failoverCount and uptime over a window come from these records, so
// every node answers alike and a restart forgets nothing.
#include <cstdint>
#include <deque>
#include <string>

namespace raftor::state {

// How often a leader proposes its tick (an idle cluster's only entries).
constexpr std::int64_t leader_tick_ms = 10'000;

struct LeaderTerm {
    std::uint64_t term = 0;
    std::string node;  // the leader's name, once its tick names it
    std::int64_t from_ms = 0, last_ms = 0;
    bool follows = false;  // another term came before it: a leader change, not the first leader
};

class LeaderTerms {
public:
    // An entry of `term` applied, proposed at `at_ms` (by `node` when it names itself).
    void note(std::uint64_t term, std::int64_t at_ms, const std::string& node = {});
    // Drops the terms that ended before `from_ms`, but never the latest one.
    void drop_before(std::int64_t from_ms);

    // Leader changes: terms that began within [from_ms, to_ms] after another.
    std::uint64_t changes(std::int64_t from_ms, std::int64_t to_ms) const;
    // Milliseconds of [from_ms, to_ms] during which the cluster had a leader. The latest
    // term counts up to `to_ms` while its ticks are recent (a leader still there).
    std::int64_t led_ms(std::int64_t from_ms, std::int64_t to_ms) const;

    const std::deque<LeaderTerm>& terms() const { return terms_; }
    void restore(std::deque<LeaderTerm> terms) { terms_ = std::move(terms); }

private:
    std::deque<LeaderTerm> terms_;  // by term, oldest first
};

}  // namespace raftor::state
