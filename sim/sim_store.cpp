#include "sim/sim_store.hpp"

#include <algorithm>

namespace raftor::sim {

using storage::Errc;
using storage::Status;

void SimDisk::crash(raft::Rng& rng) {
    const std::size_t keep = written.empty() ? 0 : rng.below(written.size() + 1);
    for (std::size_t i = 0; i < keep; ++i)
        durable.write(written[i].hard_state, written[i].entries, written[i].snapshot);
    batches_lost += written.size() - keep;
    written.clear();
}

raft::Index SimStore::last_index() const {
    const Disk& d = disk_->durable;
    return d.entries.empty() ? d.snapshot.index : d.entries.back().index;
}

Status SimStore::write(const std::vector<const storage::WriteBatch*>& batches) {
    if (failed_) return {Errc::io, "storage stopped after an earlier failure"};
    SimDisk& d = *disk_;
    if (d.faults.capacity_entries != 0) {
        std::uint64_t adding = 0;
        for (const auto* b : batches) adding += b->entries.size();
        if (adding > 0 && d.durable.entries.size() + adding > d.faults.capacity_entries) {
            // Like LogStore: nothing of it is written, and the same write succeeds once
            // there is room again (the node waits and retries; it does not stop).
            ++d.full_refusals;
            return {Errc::map_full, "simulated disk full: " + std::to_string(d.durable.entries.size()) +
                                        " entries held, " + std::to_string(d.faults.capacity_entries) + " fit"};
        }
    }
    raft::HardState hs = d.durable.hard_state;
    for (const auto* b : batches) {
        storage::WriteBatch w;
        w.entries = b->entries;
        w.snapshot = b->snapshot;
        if (b->hard_state) {
            deferred_commit_ = std::max(deferred_commit_, b->hard_state->commit);
            if (b->hard_state->term != hs.term || b->hard_state->vote != hs.vote || b->snapshot) {
                hs = *b->hard_state;
                w.hard_state = hs;
            }
        }
        d.written.push_back(std::move(w));
    }
    return sync();
}

Status SimStore::read_entries(raft::Index from, std::size_t count, std::size_t bytes,
                              std::vector<raft::Entry>& out) const {
    const Disk& d = disk_->durable;
    if (d.entries.empty() || from <= d.snapshot.index || from > last_index())
        return {Errc::invalid, "log entry " + std::to_string(from) + ": not in the stored log"};
    std::size_t taken = 0;
    for (std::size_t k = from - d.snapshot.index - 1; k < d.entries.size(); ++k) {
        if (!out.empty() && (out.size() >= count || taken >= bytes)) break;
        taken += d.entries[k].size_bytes();
        out.push_back(d.entries[k]);
    }
    return {};
}

Status SimStore::sync() {
    SimDisk& d = *disk_;
    if (d.faults.sync_fail > 0 && rng_.unit() < d.faults.sync_fail) {
        // What the kernel dropped is unknown (fsyncgate): nothing later may be acknowledged.
        ++d.failed_syncs;
        failed_ = true;
        return {Errc::io, "simulated fsync failure"};
    }
    for (auto& w : d.written) {
        const auto hs = w.hard_state;
        d.durable.write(hs, std::move(w.entries), w.snapshot);
        // The commit index never runs ahead of the entries on disk.
        if (hs) d.durable.hard_state.commit = std::min(hs->commit, last_index());
    }
    d.written.clear();
    ++d.syncs;
    return {};
}

Status SimStore::flush() {
    if (failed_) return {Errc::io, "storage stopped after an earlier failure"};
    Disk& d = disk_->durable;
    d.hard_state.commit = std::max(d.hard_state.commit, std::min(deferred_commit_, last_index()));
    return {};
}

Status SimStore::save_snapshot(const raft::SnapshotMeta& meta, const std::string& data) {
    if (failed_) return {Errc::io, "storage stopped after an earlier failure"};
    raft::Snapshot snap;
    snap.meta = meta;
    snap.data = std::make_shared<const std::string>(data);
    disk_->durable.keep_snapshot(snap);
    return {};
}

std::vector<std::pair<std::string, std::string>> SimStore::figures() const {
    const SimDisk& d = *disk_;
    return {{"simSyncs", std::to_string(d.syncs)},
            {"simFailedSyncs", std::to_string(d.failed_syncs)},
            {"simFullRefusals", std::to_string(d.full_refusals)},
            {"simEntries", std::to_string(d.durable.entries.size())}};
}

}  // namespace raftor::sim
