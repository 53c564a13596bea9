// Single-server membership changes and learners (dissertation chapter 4).
#include <algorithm>

#include "runtime/raft/assert.hpp"
#include "runtime/raft/conf_change_codec.hpp"
#include "runtime/raft/raft.hpp"

namespace raftor::raft {

namespace {
bool contains(const std::vector<NodeId>& v, NodeId id) {
    return std::binary_search(v.begin(), v.end(), id);
}
void insert(std::vector<NodeId>& v, NodeId id) {
    v.insert(std::lower_bound(v.begin(), v.end(), id), id);
}
void erase(std::vector<NodeId>& v, NodeId id) {
    std::erase(v, id);
}
}  // namespace

bool ConfState::is_voter(NodeId id) const {
    return contains(voters, id);
}
bool ConfState::is_learner(NodeId id) const {
    return contains(learners, id);
}

Progress Raft::new_progress() const {
    Progress pr(cfg_.inflight_appends_max, cfg_.inflight_bytes_max);
    pr.next = log_.last_index() + 1;
    pr.recent_active = true;  // a new member gets one check-quorum period of grace
    return pr;
}

// Section 4.1: a server uses the latest configuration in its log, committed or not.
void Raft::apply_conf(const ConfState& c) {
    conf_ = c;
    if (role_ != Role::leader) return;
    forget_departed();
    for (NodeId id : conf_.voters) progress_.try_emplace(id, new_progress());
    for (NodeId id : conf_.learners) progress_.try_emplace(id, new_progress());
    if (auto it = progress_.find(cfg_.id); it != progress_.end()) it->second.maybe_update(stable_);
    if (lead_transferee_ != no_node && !conf_.is_voter(lead_transferee_)) abort_transfer();
    // A smaller quorum may commit at once, and pending reads may now be confirmed.
    if (maybe_commit()) broadcast_pending_ = commit_broadcast_pending_ = true;
    advance_reads();
}

// After a truncation or snapshot install: the configuration falls back to the
// latest conf entry still in the log, or the base.
void Raft::rebuild_conf() {
    std::erase_if(conf_entries_, [&](const auto& c) { return c.first > log_.last_index(); });
    if (conf_entries_.empty()) {
        for (Index i = log_.first_index(); i <= log_.last_index(); ++i) {
            if (log_.type_at(i) != EntryType::conf_change) continue;  // its payload may be gone
            const Entry& e = log_.at(i);
            auto cc = decode_conf_change(e.payload);
            RAFT_ASSERT(cc.has_value(), "conf-change entries in the log decode");
            conf_entries_.emplace_back(i, cc->result);
        }
    }
    apply_conf(conf_entries_.empty() ? conf_base_ : conf_entries_.back().second);
}

ConfState Raft::conf_at(Index i) const {
    ConfState c = conf_base_;
    for (const auto& [idx, cs] : conf_entries_)
        if (idx <= i) c = cs;
    return c;
}

Proposed Raft::propose_conf_change(ConfChangeType type, NodeId node, std::string context) {
    if (role_ != Role::leader) return {Error::not_leader};
    if (lead_transferee_ != no_node) return {Error::transfer_in_progress};
    // Section 4.1: one change at a time, and (the 2015 fix to single-server changes)
    // only once this leader has committed an entry of its own term.
    if (!conf_entries_.empty() && conf_entries_.back().first > commit_) return {Error::conf_change_pending};
    if (!committed_in_term()) return {Error::not_committed_in_term};
    if (node == no_node) return {Error::invalid_conf_change};
    ConfState next = conf_;
    switch (type) {
        case ConfChangeType::add_voter:
            if (conf_.is_voter(node)) return {Error::invalid_conf_change};
            erase(next.learners, node);
            insert(next.voters, node);
            break;
        case ConfChangeType::add_learner:
            if (conf_.is_member(node)) return {Error::invalid_conf_change};
            insert(next.learners, node);
            break;
        case ConfChangeType::promote_learner: {
            if (!conf_.is_learner(node)) return {Error::invalid_conf_change};
            const Progress* pr = progress(node);
            // Caught up, and heard from: a learner that never answered (it is not running,
            // or its address is wrong) has match 0 and is never made a voter.
            if (pr == nullptr || pr->match == 0 || pr->match + cfg_.promote_lag_entries_max < log_.last_index())
                return {Error::learner_not_caught_up};
            erase(next.learners, node);
            insert(next.voters, node);
            break;
        }
        case ConfChangeType::remove_voter:
            if (!conf_.is_member(node)) return {Error::invalid_conf_change};
            erase(next.voters, node);
            erase(next.learners, node);
            if (next.voters.empty()) return {Error::invalid_conf_change};
            break;
    }
    const Index i = log_.last_index() + 1;
    ConfChange cc{.type = type, .node = node, .context = std::move(context), .result = next};
    append_entry(Entry{.term = term_, .index = i, .type = EntryType::conf_change, .payload = encode_conf_change(cc)});
    broadcast_pending_ = true;
    return {Error::none, i, term_};
}

// A member being removed keeps getting entries (it never counts in a quorum: those
// count the configuration's voters) until its removal commits, so it hears of its
// removal instead of waiting out an election timeout in a configuration it is no longer
// part of (as etcd). Members in neither configuration are forgotten.
void Raft::forget_departed() {
    if (role_ != Role::leader) return;
    const ConfState committed = conf_at(commit_);
    std::erase_if(progress_,
                  [&](const auto& kv) { return !conf_.is_member(kv.first) && !committed.is_member(kv.first); });
}

// Section 4.2.2: a leader removed from the configuration manages the cluster until
// the change commits, then steps down.
void Raft::maybe_step_down_after_removal() {
    if (role_ != Role::leader || conf_.is_voter(cfg_.id)) return;
    if (!conf_entries_.empty() && conf_entries_.back().first > commit_) return;
    broadcast_heartbeat();  // so the others learn the change committed before we go quiet
    become_follower(term_, no_node);
}

}  // namespace raftor::raft
