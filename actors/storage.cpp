#include "actors/storage.hpp"

#include "runtime/log/log.hpp"

namespace raftor::actors {

namespace {

// Writes every queued batch in one transaction (one fsync) and reports the highest id.
void flush(caf::stateful_actor<StorageState>* self) {
    auto& st = self->state;
    if (st.pending.empty()) return;
    if (st.failed) {
        st.pending.clear();
        self->send(st.peer, storage_error_atom::value, std::string("storage stopped after an earlier failure"));
        return;
    }
    std::vector<const storage::WriteBatch*> batches;
    batches.reserve(st.pending.size());
    for (const auto& b : st.pending) batches.push_back(b.get());
    // Real time, not the actor clock: this is how long the disk took, for operators.
    const auto began = std::chrono::steady_clock::now();
    const auto status = st.store->write(batches);
    st.last_flush = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - began);
    st.last_flush_at_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
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
    st.batches_written += batches.size();
    st.pending.clear();
    if (!status.ok()) {
        // Nothing of these batches is on disk: the peer must not be told otherwise,
        // and no later batch may be acknowledged past this gap.
        st.failed = true;
        self->send(st.peer, storage_error_atom::value, status.message);
        return;
    }
    self->send(st.peer, persisted_atom::value, st.pending_max_id);
}

}  // namespace

caf::behavior storage_actor(caf::stateful_actor<StorageState>* self, std::shared_ptr<storage::Store> store,
                            caf::actor peer, metrics::CountersPtr counters) {
    self->state.counters = std::move(counters);
    self->state.store = std::move(store);
    self->state.peer = peer;
    return {
        [=](persist_atom, std::uint64_t id, BatchPtr batch) {
            self->state.stats.note(self, "persist");
            auto& st = self->state;
            st.pending.push_back(std::move(batch));
            st.pending_max_id = std::max(st.pending_max_id, id);
            // The flush runs after whatever is already queued: all of it shares one fsync.
            if (!st.flush_queued) {
                st.flush_queued = true;
                self->send(self, flush_atom::value);
            }
        },
        [=](flush_atom) {
            self->state.stats.note(self, "flush");
            self->state.flush_queued = false;
            flush(self);
        },
        [=](sync_atom) -> bool {
            self->state.stats.note(self, "sync");
            // Everything queued before this message is durable when it is answered,
            // the commit index too.
            flush(self);
            if (!self->state.failed) {
                const auto status = self->state.store->flush();
                if (!status.ok()) self->state.failed = true;
            }
            return !self->state.failed;
        },
        [=](inspect_atom) {
            const auto& st = self->state;
            std::vector<std::pair<std::string, std::string>> fields{
                {"pendingBatches", std::to_string(st.pending.size())},
                {"failed", st.failed ? "true" : "false"},
                {"flushes", std::to_string(st.flushes)},
                {"batchesWritten", std::to_string(st.batches_written)}};
            for (auto& f : st.store->figures()) fields.push_back(std::move(f));
            fields.emplace_back("lastFlushUs", std::to_string(st.last_flush.count()));
            fields.emplace_back("lastFlushAtMs", std::to_string(st.last_flush_at_ms));
            return report_of(self, st.stats, "storage", "storage", std::move(fields));
        },
        // Answered with what went wrong, empty when the snapshot is durable.
        [=](snapshot_atom, SnapshotPtr snap) -> std::string {
            self->state.stats.note(self, "snapshot");
            if (self->state.failed) return "storage stopped after an earlier failure";
            const auto status = self->state.store->save_snapshot(snap->meta, *snap->data);
            if (!status.ok()) self->send(self->state.peer, storage_error_atom::value, status.message);
            return status.ok() ? std::string() : status.message;
        },
    };
}

}  // namespace raftor::actors
