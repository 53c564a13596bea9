#pragma once
// Final executions in receipt order, in the state's tables instead of memory: what
// ExecutionHistory holds, for as long as retention says, whatever its size. Each
// record keeps its receipt's hash, so a hash is one read, not a walk of the chain; the
// hashes of the receipts not yet sealed are also kept in memory, since the signer and
// the seal check read them at once (as many as the signer is behind).
//
// Tables (runtime/state/state_db.hpp):
//  - history:           receipt sequence -> the execution (Cap'n Proto), receipt hash included
//  - history_by_id:     execution id -> receipt sequence
//  - history_by_op:     operation id, NUL, receipt sequence -> (nothing)
//  - history_by_finish: finish time (ms, sign-flipped), receipt sequence -> (nothing)
//  - history_meta:      the chain before the oldest kept (sequence and hash), the last sequence
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "runtime/state/execution.hpp"
#include "runtime/state/ops_figures.hpp"
#include "runtime/state/state_db.hpp"

namespace raftor::state {

class HistoryTable {
public:
    // Reads where the history stands from `db` (empty when it holds none).
    explicit HistoryTable(StateDb& db);

    // Appends a final execution: its receipt_sequence must be the next one, and its
    // receipt_hash the hash of its receipt linked to the one before. Into the open batch.
    void push(const Execution& e);
    // Drops the oldest executions through receipt `sequence`: the chain then starts at
    // its hash. The caller bounds how many go in one batch.
    void drop_through(std::uint64_t sequence);
    // Forgets the in-memory hashes of receipts through `sequence` (they are sealed).
    void sealed_through(std::uint64_t sequence);
    // Empties it: the chain starts after `base_sequence` (hash `base_hash`).
    void reset(std::uint64_t base_sequence, const crypto::Digest& base_hash);

    std::uint64_t size() const { return last_ - base_; }
    bool empty() const { return last_ == base_; }
    std::uint64_t base_sequence() const { return base_; }
    const crypto::Digest& base_hash() const { return base_hash_; }
    std::uint64_t last_sequence() const { return last_; }
    bool holds(std::uint64_t sequence) const { return sequence > base_ && sequence <= last_; }

    // The execution with receipt `sequence` (held), its receipt hash included.
    Execution at(std::uint64_t sequence) const;
    // The receipt sequence of an execution; 0 when it is not held.
    std::uint64_t sequence_of(std::uint64_t id) const;
    std::int64_t finished_ms(std::uint64_t sequence) const { return at(sequence).finished_ms; }
    // The hash of receipt `sequence`, base_sequence() up to last_sequence().
    crypto::Digest hash(std::uint64_t sequence) const;
    // The hashes of receipts [from, to] (held).
    std::vector<crypto::Digest> hashes(std::uint64_t from, std::uint64_t to) const;
    // Calls `f` with the executions [from, to] (held), oldest first.
    void each(std::uint64_t from, std::uint64_t to, const std::function<void(const Execution&)>& f) const;
    // Receipt sequences of one operation's executions from `from` on, oldest first
    // (`newest_first`: from `from` down), until `f` says false.
    void sequences_of(const std::string& operation, std::uint64_t from, bool newest_first,
                      const std::function<bool(std::uint64_t)>& f) const;
    // The figures of the executions kept that finished at or after `since_ms`.
    OpsFigures figures_since(std::int64_t since_ms) const;

private:
    void write_meta();

    StateDb* db_;
    std::uint64_t base_ = 0, last_ = 0;
    crypto::Digest base_hash_{};
    // Hashes of receipts (tail_from_, last_], in memory.
    std::uint64_t tail_from_ = 0;
    std::deque<crypto::Digest> tail_;
};

// An execution as a record of the state's tables, and back; a record that does not
// decode is named.
std::string encode_execution(const Execution& e);
std::optional<Execution> decode_execution(std::string_view bytes, std::string& error);

}  // namespace raftor::state
