#pragma once
// Durable Raft state: log entries in a write-ahead log (wal.hpp, one fdatasync per
// group of writes), and hard state, snapshot metadata and data in a meta store (LMDB on
// a node, meta_store.hpp; a commit only when the term or vote changes or a snapshot
// arrives). The simulator runs this same code over a simulated disk.
#include <memory>
#include <optional>
#include <vector>

#include "runtime/raft/types.hpp"
#include "runtime/storage/dir_lock.hpp"
#include "runtime/storage/lmdb_meta_store.hpp"
#include "runtime/storage/meta_store.hpp"
#include "runtime/storage/store.hpp"
#include "runtime/storage/wal.hpp"

namespace raftor::storage {

struct Options {
    std::string dir;
    std::size_t map_size_bytes = std::size_t{1} << 30;
    bool sync = true;  // false only for tests and benchmarks that say so
    std::uint64_t wal_segment_bytes = std::uint64_t{32} << 20;
};

struct Stats {
    std::uint64_t commits = 0;       // writes that reached the disk (one group commit each)
    std::uint64_t transactions = 0;  // meta store commits: term or vote changes, snapshots, flushes
    std::uint64_t deferred = 0;      // writes that changed only the commit index: nothing written
    std::uint64_t entries_written = 0;
    std::uint64_t bytes_written = 0;
    std::uint64_t map_full_errors = 0;
};

class LogStore final : public Store {
public:
    // A node's store in `opts.dir`: locked, LMDB beside the WAL, on the real disk.
    static std::unique_ptr<LogStore> open(const Options& opts, Status& status);
    // Over any meta store and WAL file system: the simulator's disk.
    static std::unique_ptr<LogStore> open(std::unique_ptr<MetaStore> meta, const WalOptions& wal, Status& status);

    // Applies the batches in order; on success all of them are durable. By pointer, so
    // a caller that queued batches hands them over without copying entries. A term or
    // vote change and a snapshot are committed to the meta store before the entries go to the
    // WAL, so entries never outlive the term they were written in. On failure nothing
    // was acknowledged; the entries may be partly on disk, as a crash would leave them.
    //
    // The commit index is volatile state in Raft (Figure 3.1): it is written only with
    // the next meta store commit (or by flush()), never ahead of the entries it covers.
    // After a crash the node may restart with an older commit index and learns the
    // rest from the leader.
    Status write(const std::vector<const WriteBatch*>& batches) override;
    using Store::write;
    // Writes a deferred commit index now (a graceful stop, a snapshot).
    Status flush() override;
    // A snapshot taken locally at meta.index: store it and drop the entries it covers.
    Status save_snapshot(const raft::SnapshotMeta& meta, const std::string& data) override;
    std::vector<std::pair<std::string, std::string>> figures() const override;
    Status read_entries(raft::Index from, std::size_t count, std::size_t bytes,
                        std::vector<raft::Entry>& out) const override;
    // Reads everything back, verifying checksums, decoding and contiguity.
    // What a node restarts from. With `payload_bytes_max`, only the newest entries keep
    // their payloads within it (configuration changes always do), and the log is read
    // a chunk at a time: a long log is never in memory whole.
    Status load(Loaded& out, std::size_t payload_bytes_max = 0) const;
    // A compacted copy of the LMDB environment (hard state, snapshot) into `dir`, an
    // existing empty directory; consistent while the store is written (mdb_env_copy2).
    Status copy_to(const std::string& dir) const;
    // The hard state and snapshot of such a copy (no WAL), read-only, checksums verified.
    static Status read_copy(const std::string& dir, Loaded& out);

    raft::Index first_index() const { return first_index_; }  // 0 when the log is empty
    raft::Index last_index() const { return last_index_; }
    const Stats& stats() const { return stats_; }
    const WalStats& wal_stats() const { return wal_->stats(); }
    std::size_t wal_segments() const { return wal_->segment_count(); }
    // What opening the store repaired (a torn write at the end of the WAL), for the log.
    const std::string& repaired() const { return repaired_; }
    Status set_map_size(std::size_t bytes) override { return meta_->set_map_size(bytes); }
    MDB_env* env() const { return lmdb_ != nullptr ? lmdb_->env() : nullptr; }

private:
    LogStore() = default;
    // Reads the hard state and the snapshot's bounds, then reconciles the WAL with them.
    Status finish_open();
    // One group commit: the meta store first when the term or vote changes or a snapshot arrives, then the WAL.
    Status commit(const std::vector<const WriteBatch*>& batches, const std::optional<raft::HardState>& last_hs,
                  bool term_or_vote);
    Status reconcile_with_snapshot();
    // Writes the deferred commit index (capped at what the log holds) and `snapshot`.
    // `kept_last`: the last entry the write that follows keeps (it replaces those after).
    Status commit_meta(const std::optional<raft::HardState>& hs, const raft::Snapshot* snapshot,
                       raft::Index kept_last = UINT64_MAX);
    void refresh_bounds();

    DirLock lock_;  // first member: released last (unlocked in the simulator)
    std::unique_ptr<MetaStore> meta_;
    LmdbMetaStore* lmdb_ = nullptr;  // meta_, on a node
    std::unique_ptr<Wal> wal_;
    raft::Index snapshot_index_ = 0;
    raft::Term snapshot_term_ = 0;
    raft::Index first_index_ = 0;
    raft::Index last_index_ = 0;
    Stats stats_;
    std::string repaired_;
    std::optional<raft::HardState> durable_hs_;   // as last written (unknown until the first write)
    std::optional<raft::HardState> deferred_hs_;  // newer than durable_hs_ by its commit index only
};

}  // namespace raftor::storage
