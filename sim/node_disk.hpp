#pragma once
// One simulated node's disk, under the real storage code: the node's LogStore writes its
// WAL to a SimFileSystem (written apart from synced, torn on a crash) and its hard state
// and snapshots to an in-memory meta store with LMDB's all-or-nothing, durable commit.
// LMDB itself cannot sit on a simulated disk (it writes through a memory map); its
// durability is tested with real processes killed at random points instead.
// A node's disk belongs to the simulation, so it outlives the node's crashes.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "runtime/raft/rng.hpp"
#include "runtime/storage/log_store.hpp"
#include "sim/sim_file_system.hpp"

namespace raftor::sim {

struct DiskFaults {
    double sync_fail = 0;              // probability that one sync (WAL or meta commit) fails with EIO
    std::uint64_t capacity_bytes = 0;  // the disk holds this much in all; 0: no limit
};

class NodeDisk {
public:
    static constexpr const char* data_dir = "/data";  // the WAL in data_dir/wal

    NodeDisk(raft::Rng& rng, std::uint64_t wal_segment_bytes);
    NodeDisk(const NodeDisk&) = delete;
    NodeDisk& operator=(const NodeDisk&) = delete;

    // The node starts: its LogStore over this disk, or null and why it would not open.
    std::shared_ptr<storage::LogStore> open(storage::Status& status);
    // Power loss: the WAL keeps what was synced and a torn part of the rest; the meta
    // store keeps its last commit. The store opened before is dead.
    void crash();

    void set_faults(const DiskFaults& f);
    const DiskFaults& faults() const { return faults_; }
    std::uint64_t used() const { return fs_.used(); }
    storage::FileSystem& fs() { return fs_; }
    // Writes refused for lack of room (ENOSPC), by the WAL's files or the meta store.
    std::uint64_t full_refusals() const { return fs_.full_refusals() + meta_full_; }
    std::uint64_t failed_syncs() const { return failed_syncs_; }
    std::vector<std::pair<std::string, std::string>> figures() const;

private:
    class Meta;
    int sync_fault();  // EIO when this sync is to fail, else 0

    raft::Rng& rng_;
    std::uint64_t wal_segment_bytes_;
    SimFileSystem fs_;
    storage::MetaRecords meta_;     // as last committed: what a restart reads
    std::uint64_t generation_ = 0;  // bumped by a crash: an older Meta is dead
    DiskFaults faults_;
    std::uint64_t meta_commits_ = 0, meta_full_ = 0, failed_syncs_ = 0;
};

}  // namespace raftor::sim
