#pragma once
// Durable Raft state in one LMDB environment: hard state, log entries (index ->
// crc32c + Cap'n Proto entry), snapshot metadata and data. Many writes share one
// transaction and one fsync (group commit).
#include <memory>
#include <optional>
#include <vector>

#include "runtime/raft/types.hpp"
#include "runtime/storage/lmdb_env.hpp"

namespace raftor::storage {

struct Options {
    std::string dir;
    std::size_t map_size_bytes = std::size_t{1} << 30;
    bool sync = true;  // false only for tests and benchmarks that say so
};

// The durable part of one raft::Ready.
struct WriteBatch {
    std::optional<raft::HardState> hard_state;
    std::vector<raft::Entry> entries;        // replaces any stored suffix from entries.front().index
    std::optional<raft::Snapshot> snapshot;  // installed from a leader: replaces the whole log
    static WriteBatch from(raft::Ready& rd);
    bool empty() const { return !hard_state && entries.empty() && !snapshot; }
};

struct Loaded {
    raft::HardState hard_state;
    raft::SnapshotMeta snapshot;
    std::shared_ptr<const std::string> snapshot_data;
    std::vector<raft::Entry> entries;
};

struct Stats {
    std::uint64_t commits = 0;   // write transactions committed (= fsyncs when syncing)
    std::uint64_t deferred = 0;  // writes that changed only the commit index: no transaction of their own
    std::uint64_t entries_written = 0;
    std::uint64_t bytes_written = 0;
    std::uint64_t map_full_errors = 0;
};

class LogStore {
public:
    static std::unique_ptr<LogStore> open(const Options& opts, Status& status);

    // Applies the batches in order in one transaction: all or nothing. By pointer, so
    // a caller that queued batches hands them over without copying entries.
    //
    // The commit index is volatile state in Raft (Figure 3.1): batches that change
    // nothing but it cost no transaction and no fsync; the newest such hard state is
    // written with the next transaction (or by flush()). After a crash the node may
    // restart with an older commit index and learns the rest from the leader.
    Status write(const std::vector<const WriteBatch*>& batches);
    Status write(const WriteBatch& batch) { return write(std::vector<const WriteBatch*>{&batch}); }
    // Writes a deferred commit index now (a graceful stop).
    Status flush();
    // A snapshot taken locally at meta.index: store it and drop the entries it covers.
    Status save_snapshot(const raft::SnapshotMeta& meta, const std::string& data);
    // Reads everything back, verifying checksums, decoding and contiguity.
    Status load(Loaded& out) const;

    raft::Index first_index() const { return first_index_; }  // 0 when the log is empty
    raft::Index last_index() const { return last_index_; }
    const Stats& stats() const { return stats_; }
    Status set_map_size(std::size_t bytes) { return env_.set_map_size(bytes); }
    MDB_env* env() const { return env_.get(); }

private:
    LogStore() = default;
    // One transaction: the deferred hard state, then the batches; `last_hs` is then durable.
    Status commit(const std::vector<const WriteBatch*>& batches, const std::optional<raft::HardState>& last_hs);
    Status write_batch(MDB_txn* txn, const WriteBatch& b, raft::Index& first, raft::Index& last);
    Status delete_from(MDB_txn* txn, raft::Index from) const;
    Status delete_to(MDB_txn* txn, raft::Index to_inclusive) const;
    Status put_snapshot(MDB_txn* txn, const raft::SnapshotMeta& meta, const std::string& data) const;
    Status scan_bounds();

    Env env_;
    MDB_dbi log_db_ = 0;
    MDB_dbi meta_db_ = 0;
    raft::Index first_index_ = 0;
    raft::Index last_index_ = 0;
    Stats stats_;
    std::optional<raft::HardState> durable_hs_;   // as last written (unknown until the first write)
    std::optional<raft::HardState> deferred_hs_;  // newer than durable_hs_ by its commit index only
};

}  // namespace raftor::storage
