#pragma once
// Final executions in receipt order, packed: about 100 bytes each instead of the ~400
// of an Execution with its indexes, so a node keeps a million of them within the memory
// budget (150 MB with 10,000 operations and 1,000,000 executions).
//
// What is packed away and how it comes back:
//  - operation and node names are interned; times are offsets from the creation time;
//  - input, output and detail share one byte queue, dropped from the front with the
//    oldest execution;
//  - the input hash is recomputed from the operation, version, cause, slot and input,
//    and the output hash from the output (both are checked when an execution is added;
//    when they do not recompute - an input too long to keep, an output cut at its cap -
//    the hash itself is kept in the byte queue);
//  - receipt hashes are recomputed along the chain from a checkpoint kept every
//    `checkpoint_every` receipts, except for the unsealed tail, whose hashes are kept
//    because the signer and the seal check read them at once;
//  - an execution whose numbers do not fit the packed form is kept whole.
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "runtime/state/execution.hpp"
#include "runtime/state/ops_figures.hpp"

namespace raftor::state {

class ExecutionHistory {
public:
    static constexpr std::uint64_t checkpoint_every = 16;

    ExecutionHistory() = default;
    // An empty history whose chain starts after receipt `base_sequence` (hash `base_hash`).
    ExecutionHistory(std::uint64_t base_sequence, const crypto::Digest& base_hash);

    // Appends a final execution: its receipt_sequence must be the next one and its
    // receipt_hash the hash of its receipt linked to the one before.
    void push(const Execution& e);
    // Drops the oldest executions through receipt `sequence`.
    void drop_through(std::uint64_t sequence);
    // Forgets the kept hashes of receipts through `sequence` (they are sealed).
    void sealed_through(std::uint64_t sequence);

    std::size_t size() const { return records_.size(); }
    bool empty() const { return records_.empty(); }
    std::uint64_t base_sequence() const { return base_sequence_; }
    const crypto::Digest& base_hash() const { return base_hash_; }
    std::uint64_t last_sequence() const { return base_sequence_ + records_.size(); }
    bool holds(std::uint64_t sequence) const { return sequence > base_sequence_ && sequence <= last_sequence(); }

    // The execution with receipt `sequence` (held), without its receipt hash.
    Execution at(std::uint64_t sequence) const;
    // Receipt sequence of an execution id; 0 when it is not held.
    std::uint64_t sequence_of(std::uint64_t id) const;
    // Receipt sequences of one operation's executions, oldest first.
    const std::deque<std::uint64_t>* sequences_of(const std::string& operation) const;
    std::int64_t finished_ms(std::uint64_t sequence) const;
    // The figures of the executions kept that finished at or after `since_ms`; a walk
    // over the packed records.
    OpsFigures figures_since(std::int64_t since_ms) const;

    // The hash of receipt `sequence` (base_sequence() up to last_sequence()); `known`, a
    // receipt's hash already computed, is walked from when it is nearer than a checkpoint.
    crypto::Digest hash(std::uint64_t sequence, const std::pair<std::uint64_t, crypto::Digest>* known = nullptr) const;
    // The hashes of receipts [from, to], held, computed along the chain in one pass.
    std::vector<crypto::Digest> hashes(std::uint64_t from, std::uint64_t to) const;
    // Calls `f` with each execution [from, to] (held) and its receipt hash, oldest first:
    // each is unpacked once, where at() after hashes() unpacked it twice.
    template <class F>
    void each_with_hash(std::uint64_t from, std::uint64_t to, F&& f) const {
        if (from > to) return;
        crypto::Digest h = hash(from - 1);
        for (std::uint64_t s = from; s <= to; ++s) {
            Execution e = at(s);
            h = s > tail_from_ ? tail_[s - tail_from_ - 1] : link(s, e, h);
            e.receipt_hash = h;
            f(e);
        }
    }

    // Bytes held, for the introspection figures.
    std::size_t text_bytes() const { return text_.size(); }
    std::size_t whole_count() const { return whole_.size(); }

private:
    struct Packed {
        std::uint64_t id = 0;
        std::int64_t created_ms = 0;
        std::uint64_t text_at = 0;  // where its bytes start in text_ (an absolute offset)
        // Offsets from created_ms; `none` for a time that is 0.
        std::int32_t started = 0, finished = 0, slot = 0;
        std::uint32_t duration_ms = 0;
        std::uint32_t operation = 0;  // index into operations_
        std::uint32_t version = 0;
        std::int32_t exit_code = 0;
        std::uint32_t output_len = 0;
        std::uint16_t input_len = 0;  // or 32: the input hash itself (input_hash_kept)
        std::uint16_t detail_len = 0;
        std::uint16_t node = 0;  // index into nodes_
        std::uint16_t attempt = 0;
        std::uint8_t cause = 0, status = 0, flags = 0;
    };
    static constexpr std::int32_t none = INT32_MIN;
    enum Flag : std::uint8_t { whole = 1, input_hash_kept = 2, output_hash_kept = 4 };

    struct OperationSlot {
        std::string name;
        std::deque<std::uint64_t> sequences;
    };

    const Packed& record(std::uint64_t sequence) const { return records_[sequence - base_sequence_ - 1]; }
    std::optional<Packed> pack(const Execution& e, std::uint32_t operation, std::uint16_t node) const;
    std::uint32_t intern_operation(const std::string& name);
    std::uint16_t intern_node(const std::string& name);
    std::string text(std::uint64_t at, std::size_t len) const;
    crypto::Digest link(std::uint64_t sequence, const crypto::Digest& prev) const;
    crypto::Digest link(std::uint64_t sequence, const Execution& e, const crypto::Digest& prev) const;
    void trim_tail(std::uint64_t through);  // forgets kept hashes through `through`

    // The id index: open addressing over receipt sequences, keyed by the record's id.
    std::size_t slot_of(std::uint64_t id) const;
    void index_insert(std::uint64_t id, std::uint64_t sequence);
    void index_erase(std::uint64_t id);

    std::uint64_t base_sequence_ = 0;
    crypto::Digest base_hash_{};
    std::deque<Packed> records_;
    std::deque<char> text_;
    std::uint64_t text_base_ = 0;  // absolute offset of text_.front()
    std::unordered_map<std::uint64_t, Execution> whole_;
    std::vector<OperationSlot> operations_;
    std::vector<std::uint32_t> free_operations_;
    std::unordered_map<std::string, std::uint32_t> operation_index_;
    std::vector<std::string> nodes_;
    std::unordered_map<std::string, std::uint16_t> node_index_;
    // checkpoints_[i] is the hash of receipt (first_checkpoint_ + i) * checkpoint_every.
    std::deque<crypto::Digest> checkpoints_;
    std::uint64_t first_checkpoint_ = 0;
    // Hashes of the receipts after tail_from_ (the unsealed ones).
    std::deque<crypto::Digest> tail_;
    std::uint64_t tail_from_ = 0;
    // The hash of receipt tail_from_, when known: the next seal's range starts after it,
    // and walking to it from a checkpoint cost each node a few SHA-256 per seal.
    std::optional<crypto::Digest> tail_from_hash_;
    std::vector<std::uint64_t> slots_;  // 0: free
    std::size_t used_slots_ = 0;
};

}  // namespace raftor::state
