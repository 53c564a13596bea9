#include "runtime/raft/log.hpp"

#include "runtime/raft/assert.hpp"

namespace raftor::raft {

void PayloadWindow::take(std::vector<Entry>& entries) {
    for (; seen_ < entries.size(); ++seen_) bytes_ += entries[seen_].size_bytes();
    while (bytes_ > budget_ && front_ < entries.size()) {
        Entry& e = entries[front_++];
        bytes_ -= e.size_bytes();
        if (e.type != EntryType::conf_change) e.payload = Payload();
    }
}

Index PayloadWindow::cached_from(const std::vector<Entry>& entries) const {
    if (front_ < entries.size()) return entries[front_].index;
    return entries.empty() ? 0 : entries.back().index + 1;
}

RaftLog::RaftLog(Index snapshot_index, Term snapshot_term, std::vector<Entry> entries, Index cached_from)
    : snapshot_index_(snapshot_index), snapshot_term_(snapshot_term), cached_from_(snapshot_index + 1) {
    for (auto& e : entries) append(std::move(e));
    if (cached_from > cached_from_) {
        cached_from_ = std::min(cached_from, last_index() + 1);
        cached_bytes_ = 0;
        for (Index i = cached_from_; i <= last_index(); ++i) cached_bytes_ += at(i).size_bytes();
    }
}

std::optional<Term> RaftLog::term_at(Index i) const {
    if (i == snapshot_index_) return snapshot_term_;
    if (i < snapshot_index_ || i > last_index()) return std::nullopt;
    return entries_[i - snapshot_index_ - 1].term;
}

const Entry& RaftLog::at(Index i) const {
    RAFT_ASSERT(i > snapshot_index_ && i <= last_index(), "log access out of range");
    const Entry& e = entries_[i - snapshot_index_ - 1];
    RAFT_ASSERT(i >= cached_from_ || e.type == EntryType::conf_change, "an entry read is cached");
    return e;
}

EntryType RaftLog::type_at(Index i) const {
    RAFT_ASSERT(i > snapshot_index_ && i <= last_index(), "log access out of range");
    return entries_[i - snapshot_index_ - 1].type;
}

void RaftLog::evict(Index upto, std::size_t budget) {
    upto = std::min(upto, last_index());
    while (cached_bytes_ > budget && cached_from_ <= upto) {
        Entry& e = entries_[cached_from_ - snapshot_index_ - 1];
        cached_bytes_ -= e.size_bytes();  // a kept configuration change no longer counts
        if (e.type != EntryType::conf_change) e.payload = Payload();
        ++cached_from_;
    }
}

void RaftLog::append(Entry e) {
    RAFT_ASSERT(e.index == last_index() + 1, "log entries are contiguous");
    RAFT_ASSERT(e.term >= last_term(), "terms in the log never decrease");
    cached_bytes_ += e.size_bytes();
    entries_.push_back(std::move(e));
}

void RaftLog::truncate_from(Index i) {
    RAFT_ASSERT(i > snapshot_index_, "never truncate into the snapshot");
    if (i > last_index()) return;
    for (Index k = std::max(i, cached_from_); k <= last_index(); ++k) cached_bytes_ -= at(k).size_bytes();
    cached_from_ = std::min(cached_from_, i);
    entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(i - snapshot_index_ - 1), entries_.end());
}

void RaftLog::compact_to(Index i, Term t) {
    RAFT_ASSERT(i >= snapshot_index_ && i <= last_index(), "compaction inside the log");
    RAFT_ASSERT(term_at(i) == t, "compaction term matches the log");
    for (Index k = cached_from_; k <= i; ++k) cached_bytes_ -= at(k).size_bytes();
    cached_from_ = std::max(cached_from_, i + 1);
    entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(i - snapshot_index_));
    snapshot_index_ = i;
    snapshot_term_ = t;
}

void RaftLog::reset(Index snapshot_index, Term snapshot_term) {
    entries_.clear();
    cached_from_ = snapshot_index + 1;
    cached_bytes_ = 0;
    snapshot_index_ = snapshot_index;
    snapshot_term_ = snapshot_term;
}

std::vector<Entry> RaftLog::slice(Index from, std::size_t entries_max, std::size_t bytes_max) const {
    std::vector<Entry> out;
    std::size_t bytes = 0;
    RAFT_ASSERT(from >= cached_from_ || from > last_index(), "a slice is of cached entries");
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
    RAFT_ASSERT(from >= cached_from_ || from > to_inclusive, "a slice is of cached entries");
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
        const Term ti = entries_[i - snapshot_index_ - 1].term;
        if (ti == t) return i;
        if (ti < t) return 0;
    }
    return snapshot_term_ == t ? snapshot_index_ : 0;
}

}  // namespace raftor::raft
