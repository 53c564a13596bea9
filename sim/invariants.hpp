#pragma once
// Raft's safety properties (dissertation Figure 3.2), checked from the outside
// after every event: election safety, log matching, leader completeness,
// state-machine safety, monotonic term and commit, and linearizable ReadIndex.
#include <map>
#include <string>
#include <vector>

#include "runtime/raft/raft.hpp"

namespace raftor::sim {

class Invariants {
public:
    // After any event on a node (incarnation changes on restart).
    void observe(const raft::Raft& r, std::uint64_t incarnation);
    // A node's state machine reached `index` with state `hash` (by entry or snapshot).
    void state_at(raft::NodeId id, raft::Index index, std::uint64_t hash);
    // Log Matching, incrementally: an entry (index, term) always has the same
    // content and follows the same term, wherever it is appended. By induction,
    // equal (index, term) then means equal logs up to that index.
    void entry_appended(raft::NodeId id, const raft::Entry& e, std::optional<raft::Term> prev_term);
    // Pairwise Log Matching over the live cores (costly: call periodically).
    void check_log_matching(const std::vector<const raft::Raft*>& cores);
    // ReadIndex: a read asked when `known_commit` was committed somewhere must
    // come back with an index at least that high.
    void read_requested(const std::string& context, raft::Index known_commit);
    void read_released(raft::NodeId id, const raft::ReadState& rs);

    raft::Index highest_commit() const { return committed_.size(); }
    const std::vector<std::string>& violations() const { return violations_; }
    bool ok() const { return violations_.empty(); }
    // A node's disk that its own storage code would not open after a crash.
    void storage_unreadable(raft::NodeId id, const std::string& why) {
        fail("node " + std::to_string(id) + ": storage would not open: " + why);
    }
    std::uint64_t reads_checked() const { return reads_checked_; }
    std::size_t leaders_elected() const { return leaders_.size(); }

private:
    void fail(std::string what);
    void record_commits(const raft::Raft& r, raft::Index from, raft::Index to);
    void check_leader_completeness(const raft::Raft& r);

    struct Seen {
        std::uint64_t incarnation = 0;
        raft::Term term = 0;
        raft::Index commit = 0;
        raft::Role role = raft::Role::follower;
    };
    std::map<raft::NodeId, Seen> seen_;
    std::map<raft::Term, raft::NodeId> leaders_;   // election safety
    std::vector<raft::Term> committed_;            // committed_[i-1] = term of committed entry i
    std::map<raft::Index, std::uint64_t> states_;  // state-machine hash after applying index
    struct EntryId {
        std::uint32_t content;
        std::optional<raft::Term> prev_term;
    };
    std::map<std::pair<raft::Index, raft::Term>, EntryId> entries_;
    std::map<std::string, raft::Index> reads_;
    std::uint64_t reads_checked_ = 0;
    std::vector<std::string> violations_;
};

}  // namespace raftor::sim
