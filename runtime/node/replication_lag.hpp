#pragma once
// Replication lag in milliseconds, as the leader sees it: for a follower, how long the
// oldest entry it lacks has waited. The leader notes when each run of entries was
// appended; time is passed in (milliseconds on any steady clock), never read here.
#include <algorithm>
#include <cstdint>
#include <deque>
#include <utility>

#include "runtime/raft/types.hpp"

namespace raftor::node {

class ReplicationLag {
public:
    static constexpr std::size_t runs_max = 100'000;  // bounded whatever the followers do

    // This node became leader at `now_ms`; its log ended at `last`. Entries it already
    // had count as appended then.
    void became_leader(raft::Index last, std::uint64_t now_ms) {
        runs_.clear();
        recorded_last_ = last;
        leader_since_ms_ = now_ms;
    }
    // The log now ends at `last`; every member has at least `min_match`.
    void observe(raft::Index last, raft::Index min_match, std::uint64_t now_ms) {
        if (last > recorded_last_) {
            runs_.emplace_back(recorded_last_ + 1, now_ms);  // one record per run since the last look
            recorded_last_ = last;
        }
        while (runs_.size() > 1 && runs_[1].first <= min_match + 1) runs_.pop_front();
        while (runs_.size() > runs_max) runs_.pop_front();
    }
    // How long the first entry after `match` has waited (0 when nothing is missing).
    std::uint64_t lag_ms(raft::Index match, raft::Index last, std::uint64_t now_ms) const {
        if (match >= last) return 0;
        std::uint64_t since = leader_since_ms_;
        for (auto it = runs_.rbegin(); it != runs_.rend(); ++it) {
            if (it->first <= match + 1) {
                since = it->second;
                break;
            }
        }
        return now_ms > since ? now_ms - since : 0;
    }

private:
    std::deque<std::pair<raft::Index, std::uint64_t>> runs_;  // (first index of the run, when), oldest first
    raft::Index recorded_last_ = 0;
    std::uint64_t leader_since_ms_ = 0;
};

}  // namespace raftor::node
