#pragma once
// The simulated storage backend of `raftor sim`: stands in for LogStore under the real
// storage actor. A node's SimDisk belongs to the simulation, so it outlives the node's
// crashes. A write is first "written" (in the page cache) and becomes durable only when
// its sync succeeds; a crash keeps what was synced and, of what was only written, a
// random prefix of the batches (the kernel may have flushed some of it on its own).
#include <memory>
#include <vector>

#include "runtime/raft/rng.hpp"
#include "runtime/storage/store.hpp"
#include "sim/disk.hpp"

namespace raftor::sim {

struct DiskFaults {
    double sync_fail = 0;                // probability that one sync fails (EIO)
    std::uint64_t capacity_entries = 0;  // entries the disk holds; past it writes fail as full (0 = no limit)
};

struct SimDisk {
    Disk durable;                              // what a restart sees
    std::vector<storage::WriteBatch> written;  // written, not synced
    DiskFaults faults;
    std::uint64_t syncs = 0, failed_syncs = 0, full_refusals = 0, batches_lost = 0;

    // The node died: what was only written survives as a random prefix, or not at all.
    void crash(raft::Rng& rng);
};

class SimStore final : public storage::Store {
public:
    SimStore(std::shared_ptr<SimDisk> disk, raft::Rng& rng) : disk_(std::move(disk)), rng_(rng) {}

    // Like LogStore: the commit index is written only along with a term or vote change
    // (or by flush), never past the entries it covers; after a failed sync every later
    // write fails, and the node stops; a full disk refuses writes until there is room.
    storage::Status write(const std::vector<const storage::WriteBatch*>& batches) override;
    using Store::write;
    storage::Status flush() override;
    storage::Status save_snapshot(const raft::SnapshotMeta& meta, const std::string& data) override;
    std::vector<std::pair<std::string, std::string>> figures() const override;
    // From what was synced, overlaid by what was only written (as a page cache reads).
    storage::Status read_entries(raft::Index from, std::size_t count, std::size_t bytes,
                                 std::vector<raft::Entry>& out) const override;

private:
    storage::Status sync();
    raft::Index last_index() const;

    std::shared_ptr<SimDisk> disk_;
    raft::Rng& rng_;
    bool failed_ = false;
    raft::Index deferred_commit_ = 0;
};

}  // namespace raftor::sim
