#pragma once
#include <caf/all.hpp>
#include <memory>
#include <vector>

#include "actors/introspection.hpp"
#include "actors/messages.hpp"
#include "actors/peer_protocol.hpp"
#include "actors/wall_clock.hpp"

namespace raftor::actors {

// Its protocol, checked by the compiler: the peer's batches, snapshots, reads back and
// syncs; an operator's resize through the peer; its own flush and retry; and the
// introspector's question.
using Storage =
    caf::typed_actor<caf::reacts_to<persist_atom, std::uint64_t, BatchPtr>, caf::reacts_to<flush_atom>,
                     caf::reacts_to<retry_atom>, caf::replies_to<resize_atom, std::uint64_t>::with<StorageAnswerPtr>,
                     caf::replies_to<sync_atom>::with<bool>,
                     caf::replies_to<fetch_atom, raft::Index, std::uint64_t, std::uint64_t>::with<EntriesPtr>,
                     caf::replies_to<snapshot_atom, SnapshotPtr>::with<StorageAnswerPtr>,
                     caf::replies_to<inspect_atom>::with<ReportPtr>>;

// The storage writer. Everything queued in its mailbox when a flush comes up is written
// in one transaction (group commit); then the peer learns the highest persist id.
struct StorageState {
    std::shared_ptr<storage::Store> store;
    bool failed = false;  // sticky: after a failed write nothing later may be acknowledged
    // Out of room (LMDB map or disk): the batches and the snapshot that did not fit are
    // kept and tried again every second (and at once after a resize), in order; nothing
    // is acknowledged meanwhile, and nothing is lost.
    bool full = false;             // out of room: batches or a snapshot wait for it
    bool batches_blocked = false;  // batches did not fit: later ones wait behind them
    std::string full_reason;
    SnapshotPtr snapshot_retry;
    bool retry_queued = false;
    std::uint64_t full_errors = 0;
    std::uint64_t fetches = 0;  // reads of entries back for a follower behind the cache
    Peer peer;
    std::vector<BatchPtr> pending;
    std::uint64_t pending_max_id = 0;
    // The entries' bytes queued here (raft::size_bytes), and the most ever: bounded by
    // the leader's limits, not here - a leader's by raft.uncommittedBytesMax (its own
    // entries are uncommitted until it stored them), a follower's by the window the
    // leader keeps to it, raft.inflightBytesMax (it acknowledges what it stored).
    std::uint64_t pending_bytes = 0, pending_bytes_peak = 0;
    bool flush_queued = false;
    ActorStats stats;
    std::uint64_t flushes = 0, batches_written = 0;
    std::chrono::microseconds last_flush{0};
    std::int64_t last_flush_at_ms = 0;  // wall clock, for operators
    WallClock wall;
    metrics::CountersPtr counters;
    static inline const char* name = "storage";
};
Storage::behavior_type storage_actor(Storage::stateful_pointer<StorageState> self,
                                     std::shared_ptr<storage::Store> store, Peer peer, metrics::CountersPtr counters,
                                     WallClock wall);
}  // namespace raftor::actors
