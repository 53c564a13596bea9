#include "sim/disk.hpp"

#include "runtime/raft/log.hpp"

namespace raftor::sim {

void Disk::write(const std::optional<raft::HardState>& hs, std::vector<raft::Entry> new_entries,
                 const std::optional<raft::Snapshot>& snap) {
    if (snap) {
        snapshot = snap->meta;
        snapshot_data = snap->data;
        entries.clear();
    }
    if (!new_entries.empty()) {
        const raft::Index first = new_entries.front().index;
        while (!entries.empty() && entries.back().index >= first) entries.pop_back();
        for (auto& e : new_entries) entries.push_back(std::move(e));
    }
    if (hs) hard_state = *hs;
}

void Disk::keep_snapshot(const raft::Snapshot& snap) {
    snapshot = snap.meta;
    snapshot_data = snap.data;
    std::erase_if(entries, [&](const raft::Entry& e) { return e.index <= snapshot.index; });
}

raft::Restore Disk::restore(std::size_t payload_bytes_max) const {
    raft::Restore r;
    r.hard_state = hard_state;
    r.entries = entries;
    if (payload_bytes_max != 0) {
        raft::PayloadWindow window(payload_bytes_max);
        window.take(r.entries);
        r.cached_from = window.cached_from(r.entries);
    }
    if (snapshot.index > 0) {
        r.snapshot = snapshot;
        r.snapshot_data = snapshot_data;
    } else {
        r.initial_conf = snapshot.conf;
    }
    return r;
}

}  // namespace raftor::sim
