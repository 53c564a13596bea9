#pragma once
// What one simulated node's disk holds durably, and the three things done to it:
// apply a Ready's writes, keep a snapshot the state machine took, and give back
// what a core restarts from. Shared by the simulator and by tests that drive cores.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/raft/types.hpp"

namespace raftor::sim {

struct Disk {
    raft::HardState hard_state;
    // Until a snapshot exists (index 0), `snapshot.conf` holds the bootstrap configuration.
    raft::SnapshotMeta snapshot;
    std::shared_ptr<const std::string> snapshot_data;
    std::vector<raft::Entry> entries;  // after snapshot.index

    // As storage applies a Ready: a leader's snapshot replaces the log, entries replace
    // any suffix from their first index, then the hard state.
    void write(const std::optional<raft::HardState>& hs, std::vector<raft::Entry> new_entries,
               const std::optional<raft::Snapshot>& snap);
    // A snapshot the state machine took: keep it and drop the entries it covers.
    void keep_snapshot(const raft::Snapshot& snap);
    // What a node restarts from; with `payload_bytes_max`, as LogStore::load gives it:
    // only the newest entries keep their payloads within it.
    raft::Restore restore(std::size_t payload_bytes_max = 0) const;
};

}  // namespace raftor::sim
