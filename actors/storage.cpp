#include "actors/storage.hpp"

#include "actors/timeouts.hpp"
#include "runtime/log/log.hpp"

namespace raftor::actors {

namespace {

using Self = Storage::stateful_base<StorageState>;

bool no_room(const storage::Status& s) {
    return s.code == storage::Errc::map_full;
}

// Out of room, or room again: the peer hears of each change once (it refuses client
// writes meanwhile, and a leader hands leadership over); operators see the log line
// and raftor_storage_full.
void set_full(Self* self, bool full, const std::string& why) {
    auto& st = self->state;
    if (full == st.full && why == st.full_reason) return;
    const bool was = st.full;
    st.full = full;
    st.full_reason = why;
    if (st.counters) st.counters->storage_full.store(full ? 1 : 0, std::memory_order_relaxed);
    if (full && !was) logging::error("storage_full", {{"error", why}});
    if (!full && was) logging::info("storage_recovered", {});
    self->send(st.peer, storage_full_atom::value, full, why);
}

void note_no_room(Self* self, const storage::Status& status) {
    auto& st = self->state;
    ++st.full_errors;
    if (st.counters) metrics::bump(st.counters->storage_full_errors);
    set_full(self, true,
             status.message +
                 " (writes wait and are retried every second: free disk space, POST /admin/storage "
                 "{\"mapBytes\": N} for a larger LMDB map, or POST /admin/snapshot to compact)");
    if (!st.retry_queued) {
        st.retry_queued = true;
        self->delayed_send(self, timeouts::storage_full_retry, retry_atom::value);
    }
}

// Writes every queued batch in one transaction (one fsync) and reports the highest id.
// While batches do not fit only the retry writes them (`retrying`): each persist would
// fail alike. A snapshot that does not fit holds back no batch: they are small, the log
// goes on, and a leader whose own write waited behind it could never apply, and so
// never answer a read, what its followers had committed.
void flush(Self* self, bool retrying = false) {
    auto& st = self->state;
    if (st.pending.empty()) return;
    if (st.failed) {
        st.pending.clear();
        st.pending_bytes = 0;
        self->send(st.peer, storage_error_atom::value, std::string("storage stopped after an earlier failure"));
        return;
    }
    if (st.batches_blocked && !retrying) return;
    std::vector<const storage::WriteBatch*> batches;
    batches.reserve(st.pending.size());
    for (const auto& b : st.pending) batches.push_back(b.get());
    // How long the disk took, for operators: on a node the actor clock is the monotonic
    // clock (in the simulator, where a write takes no time, it reads 0).
    const auto began = self->clock().now();
    const auto status = st.store->write(batches);
    st.last_flush = std::chrono::duration_cast<std::chrono::microseconds>(self->clock().now() - began);
    st.last_flush_at_ms = st.wall();
    const double seconds = static_cast<double>(st.last_flush.count()) / 1e6;
    if (st.counters) st.counters->fsync_seconds.observe(seconds);
    if (seconds > metrics::NodeCounters::slow_fsync_seconds) {
        if (st.counters) metrics::bump(st.counters->slow_fsyncs);
        std::uint64_t entries = 0, last = 0;
        for (const auto* b : batches) {
            entries += b->entries.size();
            if (!b->entries.empty()) last = std::max<std::uint64_t>(last, b->entries.back().index);
        }
        logging::warn("slow_fsync", {{"ms", std::to_string(st.last_flush.count() / 1000)},
                                     {"batches", std::to_string(batches.size())},
                                     {"entries", std::to_string(entries)},
                                     {"last_entry", std::to_string(last)}});
    }
    ++st.flushes;
    if (!status.ok() && no_room(status)) {
        // Nothing of these batches was acknowledged; they stay queued, in order, and
        // are written again once there is room (the store takes the same write again).
        st.batches_blocked = true;
        note_no_room(self, status);
        return;
    }
    st.batches_blocked = false;
    st.batches_written += batches.size();
    st.pending.clear();
    st.pending_bytes = 0;
    if (!status.ok()) {
        // Nothing of these batches is on disk: the peer must not be told otherwise,
        // and no later batch may be acknowledged past this gap.
        st.failed = true;
        self->send(st.peer, storage_error_atom::value, status.message);
        return;
    }
    self->send(st.peer, persisted_atom::value, st.pending_max_id);
    if (st.full && !st.snapshot_retry) set_full(self, false, {});
}

// The snapshot kept for lack of room, then the batches: room again ends the full state.
void retry(Self* self) {
    auto& st = self->state;
    if (st.failed) return;
    if (st.snapshot_retry) {
        const auto status = st.store->save_snapshot(st.snapshot_retry->meta, *st.snapshot_retry->data);
        if (no_room(status)) {
            note_no_room(self, status);
            if (st.batches_blocked) flush(self, true);  // they may fit where the snapshot does not
            return;
        }
        if (!status.ok()) {
            st.failed = true;
            self->send(st.peer, storage_error_atom::value, status.message);
            return;
        }
        logging::info("snapshot_stored",
                      {{"index", std::to_string(st.snapshot_retry->meta.index)}, {"after", "retry"}});
        st.snapshot_retry = nullptr;
    }
    if (!st.pending.empty()) return flush(self, true);
    set_full(self, false, {});
}

}  // namespace

Storage::behavior_type storage_actor(Storage::stateful_pointer<StorageState> self,
                                     std::shared_ptr<storage::Store> store, Peer peer, metrics::CountersPtr counters,
                                     WallClock wall) {
    self->state.counters = std::move(counters);
    self->state.wall = std::move(wall);
    self->state.store = std::move(store);
    self->state.peer = peer;
    return {
        [=](persist_atom, std::uint64_t id, BatchPtr batch) {
            self->state.stats.note(self, "persist");
            auto& st = self->state;
            st.pending_bytes += raft::size_bytes(batch->entries);
            st.pending_bytes_peak = std::max(st.pending_bytes_peak, st.pending_bytes);
            st.pending.push_back(std::move(batch));
            st.pending_max_id = std::max(st.pending_max_id, id);
            // The flush runs after whatever is already queued: all of it shares one fsync.
            // With nothing queued it runs now, as the flush_atom would have next.
            if (st.flush_queued) return;
            if (self->mailbox().empty()) return flush(self);
            st.flush_queued = true;
            self->send(self, flush_atom::value);
        },
        [=](flush_atom) {
            self->state.stats.note(self, "flush");
            self->state.flush_queued = false;
            flush(self);
        },
        [=](retry_atom) {
            self->state.stats.note(self, "retry");
            self->state.retry_queued = false;
            retry(self);
        },
        // A larger LMDB map, now; answered with how it went.
        [=](resize_atom, std::uint64_t bytes) -> StorageAnswerPtr {
            self->state.stats.note(self, "resize");
            auto status = self->state.store->set_map_size(static_cast<std::size_t>(bytes));
            if (status.ok()) {
                logging::info("storage_map_resized", {{"bytes", std::to_string(bytes)}});
                if (self->state.full) retry(self);
            }
            return std::make_shared<const storage::Status>(std::move(status));
        },
        [=](sync_atom) -> bool {
            self->state.stats.note(self, "sync");
            // Everything queued before this message is durable when it is answered,
            // the commit index too (unless out of room for them: then it is not, and
            // says so; a snapshot still waiting for room is not needed for that).
            flush(self, true);
            if (!self->state.failed && !self->state.batches_blocked) {
                const auto status = self->state.store->flush();
                if (!status.ok()) self->state.failed = true;
            }
            return !self->state.failed && !self->state.batches_blocked;
        },
        // Entries the peer's log no longer caches, for a follower behind or to apply: read back
        // from the log (older than anything pending here). None when they cannot be.
        [=](fetch_atom, raft::Index from, std::uint64_t count, std::uint64_t bytes) -> EntriesPtr {
            self->state.stats.note(self, "fetch");
            auto out = std::make_shared<std::vector<raft::Entry>>();
            const auto status = self->state.store->read_entries(from, count, bytes, *out);
            if (!status.ok()) {
                logging::warn("log_read_failed", {{"from", std::to_string(from)}, {"error", status.message}});
                out->clear();
            }
            ++self->state.fetches;
            return out;
        },
        [=](inspect_atom) {
            const auto& st = self->state;
            std::vector<std::pair<std::string, std::string>> fields{
                {"pendingBatches", std::to_string(st.pending.size())},
                {"pendingBytes", std::to_string(st.pending_bytes)},
                {"pendingBytesPeak", std::to_string(st.pending_bytes_peak)},
                {"failed", st.failed ? "true" : "false"},
                {"full", st.full ? "true" : "false"},
                {"flushes", std::to_string(st.flushes)},
                {"batchesWritten", std::to_string(st.batches_written)},
                {"fullErrors", std::to_string(st.full_errors)},
                {"entryReads", std::to_string(st.fetches)}};
            if (st.full) fields.emplace_back("fullReason", st.full_reason);
            for (auto& f : st.store->figures()) fields.push_back(std::move(f));
            fields.emplace_back("lastFlushUs", std::to_string(st.last_flush.count()));
            fields.emplace_back("lastFlushAtMs", std::to_string(st.last_flush_at_ms));
            return report_of(self, st.stats, "storage", "storage", std::move(fields));
        },
        // Answered with how it went: ok once the snapshot is durable. Out of room it is
        // kept and stored later (the log is not compacted until then).
        [=](snapshot_atom, SnapshotPtr snap) -> StorageAnswerPtr {
            self->state.stats.note(self, "snapshot");
            auto& st = self->state;
            auto answer = [](storage::Status s) { return std::make_shared<const storage::Status>(std::move(s)); };
            if (st.failed) return answer({storage::Errc::io, "storage stopped after an earlier failure"});
            const auto status = st.store->save_snapshot(snap->meta, *snap->data);
            if (no_room(status)) {
                st.snapshot_retry = snap;
                note_no_room(self, status);
                return answer({status.code, st.full_reason});
            }
            if (!status.ok()) {
                self->send(st.peer, storage_error_atom::value, status.message);
                return answer(status);
            }
            st.snapshot_retry = nullptr;  // a newer one is stored
            if (st.full && st.pending.empty()) set_full(self, false, {});
            return answer({});
        },
    };
}

}  // namespace raftor::actors
