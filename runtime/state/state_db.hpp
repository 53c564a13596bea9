#pragma once
// The replicated state's tables, as the state machine reads and writes them: through one
// batch per group of applied entries (one store transaction, committed with the index it
// applied through), and between batches through a view of the last commit. A node's
// store is LMDB; the simulator's and the tests' is in memory.
//
// A store that fails mid-apply leaves a replica that cannot go on without diverging
// from the others: that is thrown (StateDbError), never skipped.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "runtime/storage/state_store.hpp"

namespace raftor::state {

// The tables of the replicated state, one byte each; the rest is still in memory and in
// the snapshots.
namespace tables {
inline constexpr storage::TableId kv = 1;       // key -> revision, create revision, value
inline constexpr storage::TableId kv_meta = 2;  // the namespace's revision and sizes
// Final executions and their receipts (history_table.hpp).
inline constexpr storage::TableId history = 3;
inline constexpr storage::TableId history_by_id = 4;
inline constexpr storage::TableId history_by_op = 5;
inline constexpr storage::TableId history_by_finish = 6;
inline constexpr storage::TableId history_meta = 7;
// The rest of the operations state, a row each (ops_rows.cpp): operations by id, active
// executions and sessions by number, seals by first receipt, the rollups' runs by minute
// and place and their operation names by number, and one row of the machine's figures.
inline constexpr storage::TableId ops_registry = 8;
inline constexpr storage::TableId ops_active = 9;
inline constexpr storage::TableId ops_seals = 10;
inline constexpr storage::TableId ops_sessions = 11;
inline constexpr storage::TableId ops_rollups = 12;
inline constexpr storage::TableId ops_rollup_names = 13;
inline constexpr storage::TableId ops_meta = 14;
inline constexpr storage::TableId kv_sessions = 15;  // client -> its last request (seq, use, result)
inline constexpr storage::TableId members = 16;      // member id -> its record (encode_member)
// The store's own: its format, the boot it was last opened on (node/state_resume.hpp).
inline constexpr storage::TableId store_info = 17;
}  // namespace tables
inline constexpr std::string_view store_info_format = "format";
inline constexpr std::string_view store_info_boot = "boot";

struct StateDbError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class StateDb {
public:
    StateDb();  // in memory
    explicit StateDb(std::shared_ptr<storage::StateStore> store);
    StateDb(const StateDb&) = delete;
    StateDb& operator=(const StateDb&) = delete;
    ~StateDb();

    // One batch at a time: what it writes becomes visible at once, with `applied_index`.
    void begin();
    void commit(std::uint64_t applied_index);
    void abort();
    bool in_batch() const { return batch_ != nullptr; }
    // Room for the next batches to write `bytes` (StateStore::reserve): map_full when the
    // disk has not got it, which is the caller's to wait on; any other failure throws.
    storage::Status reserve(std::uint64_t bytes);
    // What the open batch has written so far, in bytes, counting each key written or
    // deleted as a page: how much room its commit may take.
    std::uint64_t batch_bytes() const { return batch_bytes_; }
    // The page a write may copy, counted with each key (batch_bytes).
    static constexpr std::uint64_t page_bytes = 4096;

    // Writes, into the open batch.
    void put(storage::TableId table, std::string_view key, std::string_view value);
    void del(storage::TableId table, std::string_view key);
    void clear();                              // every table (a rebuild)
    void clear_table(storage::TableId table);  // one table, key by key
    // The keys from `from` (included) up to `to` (excluded; empty: the table's end).
    void del_range(storage::TableId table, std::string_view from, std::string_view to);

    // Reads see the open batch, else the last commit. A view stays valid until the next
    // write or commit.
    std::optional<std::string_view> get(storage::TableId table, std::string_view key) const;
    void scan(storage::TableId table, std::string_view from, std::string_view to, const storage::ScanFn& f) const;
    // The index the last commit applied through (0: none yet; in a batch that cleared
    // the state, 0).
    std::uint64_t applied_index() const;

    // A batch for one change made outside the applier's batches (a test's apply, a
    // restore): opened unless one is open, committed by done() only if it opened it,
    // aborted if it is left without done().
    class AutoBatch {
    public:
        explicit AutoBatch(StateDb& db) : db_(db), mine_(!db.in_batch()) {
            if (mine_) db_.begin();
        }
        ~AutoBatch() {
            if (mine_ && db_.in_batch()) db_.abort();
        }
        AutoBatch(const AutoBatch&) = delete;
        AutoBatch& operator=(const AutoBatch&) = delete;
        // A batch of its own records `applied_index` unless the store is already past it
        // (a machine alone restoring an older snapshot): only an applier's own batches
        // hold the index to never going back.
        void done(std::uint64_t applied_index) {
            if (mine_) db_.commit(std::max(applied_index, db_.applied_index()));
            mine_ = false;
        }

    private:
        StateDb& db_;
        bool mine_;
    };

private:
    const storage::StateRead& reader() const;

    std::shared_ptr<storage::StateStore> store_;
    std::unique_ptr<storage::StateWrite> batch_;
    mutable std::unique_ptr<storage::StateRead> view_;  // of the last commit, opened when first read
    std::uint64_t batch_bytes_ = 0;
};

// Big-endian numbers: keys made of them sort as the numbers do.
std::string encode_be64(std::uint64_t v);
void append_be64(std::string& out, std::uint64_t v);
// The number at `at` (8 bytes there), or nothing when `bytes` is too short.
std::optional<std::uint64_t> decode_be64(std::string_view bytes, std::size_t at = 0);

}  // namespace raftor::state
