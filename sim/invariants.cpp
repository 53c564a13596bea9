#include "sim/invariants.hpp"

#include <algorithm>

#include "runtime/common/crc32c.hpp"

namespace raftor::sim {

using raft::Index;

void Invariants::fail(std::string what) {
    if (violations_.size() < 32) violations_.push_back(std::move(what));
}

void Invariants::observe(const raft::Raft& r, std::uint64_t incarnation) {
    Seen& s = seen_[r.id()];
    // Named only on a failure: this runs at every step of every peer.
    auto who = [&] { return "node " + std::to_string(r.id()); };
    if (s.incarnation == incarnation) {
        if (r.term() < s.term)
            fail(who() + ": term went back from " + std::to_string(s.term) + " to " + std::to_string(r.term()));
        if (r.commit() < s.commit)
            fail(who() + ": commit went back from " + std::to_string(s.commit) + " to " + std::to_string(r.commit()));
    }
    if (r.role() == raft::Role::leader) {
        auto [it, fresh] = leaders_.try_emplace(r.term(), r.id());
        if (it->second != r.id())
            fail("election safety: nodes " + std::to_string(it->second) + " and " + std::to_string(r.id()) +
                 " both leaders in term " + std::to_string(r.term()));
        if (fresh || s.role != raft::Role::leader || s.term != r.term()) check_leader_completeness(r);
    }
    const Index from = s.incarnation == incarnation ? s.commit : 0;
    if (r.commit() > from) record_commits(r, from + 1, r.commit());
    s = Seen{incarnation, r.term(), r.commit(), r.role()};
}

// Two nodes never commit different entries at one index (compared by term: with
// Log Matching, equal terms at an index mean equal entries).
void Invariants::record_commits(const raft::Raft& r, Index from, Index to) {
    from = std::max(from, r.log().first_index());
    for (Index i = from; i <= to; ++i) {
        const auto t = r.log().term_at(i);
        if (!t) continue;
        if (i <= committed_.size()) {
            if (committed_[i - 1] != 0 && committed_[i - 1] != *t)
                fail("node " + std::to_string(r.id()) + " committed term " + std::to_string(*t) + " at index " +
                     std::to_string(i) + " where term " + std::to_string(committed_[i - 1]) + " was committed");
            committed_[i - 1] = *t;
        } else {
            committed_.resize(i, 0);
            committed_[i - 1] = *t;
        }
    }
}

// Section 3.6: a leader's log holds every entry committed before its term.
void Invariants::check_leader_completeness(const raft::Raft& r) {
    const auto& log = r.log();
    for (Index i = 1; i <= committed_.size(); ++i) {
        if (committed_[i - 1] == 0 || i <= log.snapshot_index()) continue;
        const auto t = log.term_at(i);
        if (t != committed_[i - 1])
            fail("leader completeness: leader " + std::to_string(r.id()) + " of term " + std::to_string(r.term()) +
                 " lacks committed entry " + std::to_string(i) + " (term " + std::to_string(committed_[i - 1]) + ")");
    }
}

void Invariants::entry_appended(raft::NodeId id, const raft::Entry& e, std::optional<raft::Term> prev_term) {
    const std::uint32_t content = crc32c(e.payload) ^ static_cast<std::uint32_t>(e.type);
    auto [it, fresh] = entries_.try_emplace({e.index, e.term}, EntryId{content, prev_term});
    if (fresh) return;
    const std::string where = "log matching: node " + std::to_string(id) + " entry " + std::to_string(e.index) +
                              " of term " + std::to_string(e.term);
    if (it->second.content != content) fail(where + " differs from the same entry elsewhere");
    if (prev_term && it->second.prev_term && *prev_term != *it->second.prev_term)
        fail(where + " follows term " + std::to_string(*prev_term) + " here but term " +
             std::to_string(*it->second.prev_term) + " elsewhere");
    if (!it->second.prev_term) it->second.prev_term = prev_term;
}

void Invariants::state_at(raft::NodeId id, Index index, std::uint64_t hash) {
    auto [it, fresh] = states_.try_emplace(index, hash);
    if (!fresh && it->second != hash)
        fail("state-machine safety: node " + std::to_string(id) + " has a different state after index " +
             std::to_string(index));
}

void Invariants::check_log_matching(const std::vector<const raft::Raft*>& cores) {
    for (std::size_t a = 0; a < cores.size(); ++a) {
        for (std::size_t b = a + 1; b < cores.size(); ++b) {
            const auto& la = cores[a]->log();
            const auto& lb = cores[b]->log();
            const Index lo = std::max(la.first_index(), lb.first_index());
            const Index hi = std::min(la.last_index(), lb.last_index());
            // Find the highest index where the terms agree; everything below must be equal.
            Index agree = 0;
            for (Index i = hi; i >= lo && i > 0; --i) {
                if (la.term_at(i) == lb.term_at(i)) {
                    agree = i;
                    break;
                }
            }
            for (Index i = lo; i <= agree; ++i) {
                if (!(la.at(i) == lb.at(i))) {
                    fail("log matching: nodes " + std::to_string(cores[a]->id()) + " and " +
                         std::to_string(cores[b]->id()) + " agree at " + std::to_string(agree) + " but differ at " +
                         std::to_string(i));
                    break;
                }
            }
        }
    }
}

void Invariants::read_requested(const std::string& context, Index known_commit) {
    reads_[context] = known_commit;
}

void Invariants::read_released(raft::NodeId id, const raft::ReadState& rs) {
    auto it = reads_.find(rs.context);
    if (it == reads_.end()) return;  // a duplicate answer to an already checked read
    ++reads_checked_;
    if (rs.index < it->second)
        fail("read index: node " + std::to_string(id) + " got read index " + std::to_string(rs.index) +
             " for a read asked after index " + std::to_string(it->second) + " committed");
    reads_.erase(it);
}

}  // namespace raftor::sim
