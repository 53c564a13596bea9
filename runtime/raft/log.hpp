#pragma once
// The Raft log since the last snapshot (dissertation 5.1). The caller's storage keeps
// the durable copy; this is what the core reasons about. Every entry's term and index
// stay in memory, but only the newest payloads are cached: older ones that are durable
// and applied are released past a byte budget (evict()), and a follower that needs them
// gets them read back from storage (Ready::fetches).
#include <deque>
#include <vector>

#include "runtime/raft/types.hpp"

namespace raftor::raft {

class RaftLog {
public:
    RaftLog() = default;
    // Entries before `cached_from` (0: none) come without their payloads, but for
    // configuration changes.
    RaftLog(Index snapshot_index, Term snapshot_term, std::vector<Entry> entries, Index cached_from = 0);

    Index snapshot_index() const { return snapshot_index_; }
    Term snapshot_term() const { return snapshot_term_; }
    Index first_index() const { return snapshot_index_ + 1; }
    Index last_index() const { return snapshot_index_ + entries_.size(); }
    Term last_term() const { return term_at(last_index()).value_or(0); }

    // Term of the entry at `i`; the snapshot's term at its index; nothing when
    // compacted away or beyond the end.
    std::optional<Term> term_at(Index i) const;
    bool matches(Index i, Term t) const { return term_at(i) == t; }
    // The entry at `i`, whose payload is cached (i >= cached_from()).
    const Entry& at(Index i) const;
    // The type of the entry at `i`, cached or not.
    EntryType type_at(Index i) const;
    // First index whose payload is in memory; last_index() + 1 when none is.
    Index cached_from() const { return cached_from_; }
    std::size_t cached_bytes() const { return cached_bytes_; }
    // Releases the payloads of the oldest entries at or below `upto` (durable and
    // applied: nothing here needs them again) while more than `budget` bytes are
    // cached. Configuration changes keep theirs (they are read to find the config).
    void evict(Index upto, std::size_t budget);

    // Section 5.4.1: is a log ending at (last_term, last_index) at least as up to date?
    bool is_up_to_date(Index index, Term term) const {
        return term > last_term() || (term == last_term() && index >= last_index());
    }

    void append(Entry e);
    // Drops every entry at or after `i` (a conflicting suffix, section 5.3).
    void truncate_from(Index i);
    // Drops entries up to and including `i`, which becomes the snapshot base.
    void compact_to(Index i, Term t);
    // Replaces everything by an empty log based at a snapshot.
    void reset(Index snapshot_index, Term snapshot_term);

    // Entries in [from, ..] bounded by count and bytes; at least one if any exist.
    // Both slices are of cached entries only (from >= cached_from()).
    std::vector<Entry> slice(Index from, std::size_t entries_max, std::size_t bytes_max) const;
    std::vector<Entry> slice(Index from, Index to_inclusive) const;

    // First index of the term of entry `i` (fast backtracking, section 5.3).
    Index first_index_of_term_at(Index i) const;
    // Last index whose term is `t`, or 0.
    Index last_index_of_term(Term t) const;

private:
    Index snapshot_index_ = 0;
    Term snapshot_term_ = 0;
    std::deque<Entry> entries_;
    Index cached_from_ = 1;
    std::size_t cached_bytes_ = 0;  // size_bytes() of the cached entries
};

// Keeps the payloads of the newest entries of a log read from its start within a byte
// budget: the oldest lose theirs as newer ones come in (configuration changes keep
// theirs, as in RaftLog::evict), so loading a long log holds the budget and one chunk,
// not the whole log. What lost its payload is read back from storage when needed.
class PayloadWindow {
public:
    explicit PayloadWindow(std::size_t budget) : budget_(budget) {}
    // Takes in what was appended to `entries` since the last call, then trims.
    void take(std::vector<Entry>& entries);
    // The first index that kept its payload (the one after the last when none did).
    Index cached_from(const std::vector<Entry>& entries) const;

private:
    std::size_t budget_;
    std::size_t bytes_ = 0;  // size_bytes() of entries [front_, seen_)
    std::size_t front_ = 0, seen_ = 0;
};

}  // namespace raftor::raft
