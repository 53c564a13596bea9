#include "runtime/raft/log.hpp"

#include "runtime/raft/assert.hpp"

namespace raftor::raft {

RaftLog::RaftLog(Index snapshot_index, Term snapshot_term, std::vector<Entry> entries)
    : snapshot_index_(snapshot_index), snapshot_term_(snapshot_term) {
    for (auto& e : entries) append(std::move(e));
}

std::optional<Term> RaftLog::term_at(Index i) const {
    if (i == snapshot_index_) return snapshot_term_;
    if (i < snapshot_index_ || i > last_index()) return std::nullopt;
    return entries_[i - snapshot_index_ - 1].term;
}

const Entry& RaftLog::at(Index i) const {
    RAFT_ASSERT(i > snapshot_index_ && i <= last_index(), "log access out of range");
    return entries_[i - snapshot_index_ - 1];
}

void RaftLog::append(Entry e) {
    RAFT_ASSERT(e.index == last_index() + 1, "log entries are contiguous");
    RAFT_ASSERT(e.term >= last_term(), "terms in the log never decrease");
    entries_.push_back(std::move(e));
}

void RaftLog::truncate_from(Index i) {
    RAFT_ASSERT(i > snapshot_index_, "never truncate into the snapshot");
    if (i > last_index()) return;
    entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(i - snapshot_index_ - 1), entries_.end());
}

void RaftLog::compact_to(Index i, Term t) {
    RAFT_ASSERT(i >= snapshot_index_ && i <= last_index(), "compaction inside the log");
    RAFT_ASSERT(term_at(i) == t, "compaction term matches the log");
    entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(i - snapshot_index_));
    snapshot_index_ = i;
    snapshot_term_ = t;
}

void RaftLog::reset(Index snapshot_index, Term snapshot_term) {
    entries_.clear();
    snapshot_index_ = snapshot_index;
    snapshot_term_ = snapshot_term;
}

std::vector<Entry> RaftLog::slice(Index from, std::size_t entries_max, std::size_t bytes_max) const {
    std::vector<Entry> out;
    std::size_t bytes = 0;
    for (Index i = std::max(from, first_index()); i <= last_index() && out.size() < entries_max; ++i) {
        const Entry& e = at(i);
        if (!out.empty() && bytes + e.size_bytes() > bytes_max) break;
        bytes += e.size_bytes();
        out.push_back(e);
    }
    return out;
}

std::vector<Entry> RaftLog::slice(Index from, Index to_inclusive) const {
    std::vector<Entry> out;
    for (Index i = std::max(from, first_index()); i <= std::min(to_inclusive, last_index()); ++i) out.push_back(at(i));
    return out;
}

Index RaftLog::first_index_of_term_at(Index i) const {
    const auto t = term_at(i);
    RAFT_ASSERT(t.has_value(), "term of a present entry");
    while (i > first_index() && term_at(i - 1) == t) --i;
    return i;
}

Index RaftLog::last_index_of_term(Term t) const {
    for (Index i = last_index(); i > snapshot_index_; --i) {
        const Term ti = at(i).term;
        if (ti == t) return i;
        if (ti < t) return 0;
    }
    return snapshot_term_ == t ? snapshot_index_ : 0;
}

}  // namespace raftor::raft
