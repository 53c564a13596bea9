#pragma once
// What the storage actor needs from durable storage: LogStore (a write-ahead log plus
// LMDB on a node; the same code over a simulated disk in `raftor sim`).
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runtime/raft/types.hpp"
#include "runtime/storage/status.hpp"

namespace raftor::storage {

// The durable part of one raft::Ready.
struct WriteBatch {
    std::optional<raft::HardState> hard_state;
    std::vector<raft::Entry> entries;        // replaces any stored suffix from entries.front().index
    std::optional<raft::Snapshot> snapshot;  // installed from a leader: replaces the whole log
    static WriteBatch from(raft::Ready& rd);
    bool empty() const { return !hard_state && entries.empty() && !snapshot; }
};

// What a node restarts from.
struct Loaded {
    raft::HardState hard_state;
    raft::SnapshotMeta snapshot;
    std::shared_ptr<const std::string> snapshot_data;
    std::vector<raft::Entry> entries;
    // Entries before it were loaded without their payloads (0: all have theirs); see
    // raft::Restore::cached_from.
    raft::Index cached_from = 0;
};

// What a core restarts from: the loaded state, and the configuration to start with when
// neither a snapshot nor a configuration entry holds one (a new cluster's voters).
raft::Restore to_restore(Loaded loaded, raft::ConfState initial_conf);

class Store {
public:
    virtual ~Store() = default;
    // Applies the batches in order; on success all of them are durable. On failure
    // nothing of them may be acknowledged.
    virtual Status write(const std::vector<const WriteBatch*>& batches) = 0;
    Status write(const WriteBatch& batch) { return write(std::vector<const WriteBatch*>{&batch}); }
    // Makes anything deferred (the commit index) durable: a graceful stop.
    virtual Status flush() = 0;
    // A snapshot taken locally at meta.index: keep it and drop the entries it covers.
    virtual Status save_snapshot(const raft::SnapshotMeta& meta, const std::string& data) = 0;
    // Entries [from, ..] back from the log, for a follower the leader's in-memory log
    // no longer holds them for: at most `count`, or `bytes` after the first. An error
    // when `from` is not in the stored log.
    virtual Status read_entries(raft::Index from, std::size_t count, std::size_t bytes,
                                std::vector<raft::Entry>& out) const = 0;
    // Figures for the introspector, as (name, value).
    virtual std::vector<std::pair<std::string, std::string>> figures() const = 0;
    // More room for a store with a bounded map (LMDB's): no restart needed.
    virtual Status set_map_size(std::size_t bytes) {
        return {Errc::invalid, "this store has no map to resize (" + std::to_string(bytes) + " bytes asked)"};
    }
};

}  // namespace raftor::storage
