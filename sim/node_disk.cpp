#include "sim/node_disk.hpp"

#include <cerrno>

namespace raftor::sim {

using storage::Errc;
using storage::Status;

namespace {

std::uint64_t size_of(const storage::MetaRecords& m) {
    return (m.hard_state ? m.hard_state->size() : 0) + (m.snapshot_meta ? m.snapshot_meta->size() : 0) +
           (m.snapshot_data ? m.snapshot_data->size() : 0);
}
}  // namespace

// The meta store one incarnation of the node writes: LMDB's commit, atomic and durable
// when it returns, over the disk's records.
class NodeDisk::Meta final : public storage::MetaStore {
public:
    explicit Meta(NodeDisk& d) : d_(d), generation_(d.generation_) {}

    Status commit(const storage::MetaWrite& w) override {
        if (generation_ != d_.generation_) return {Errc::io, "simulated disk: the node crashed"};
        storage::MetaRecords next = d_.meta_;
        if (w.hard_state) next.hard_state = *w.hard_state;
        if (w.snapshot_meta) next.snapshot_meta = *w.snapshot_meta;
        if (w.snapshot_data) next.snapshot_data = std::make_shared<const std::string>(*w.snapshot_data);
        const std::uint64_t before = size_of(d_.meta_), after = size_of(next);
        if (after > before && d_.fs_.room_for(after - before) != 0) {
            ++d_.meta_full_;
            return Status::from_errno(ENOSPC, "simulated LMDB commit");
        }
        if (const int err = d_.sync_fault()) return Status::from_errno(err, "simulated LMDB commit");
        d_.meta_ = std::move(next);
        d_.fs_.set_outside(after);
        ++d_.meta_commits_;
        return {};
    }
    Status read(storage::MetaRecords& out, bool with_snapshot_data) const override {
        if (generation_ != d_.generation_) return {Errc::io, "simulated disk: the node crashed"};
        out = d_.meta_;
        if (!with_snapshot_data) out.snapshot_data.reset();
        return {};
    }
    Status set_map_size(std::size_t bytes) override {
        return {Errc::invalid, "the simulated disk has no map to resize (" + std::to_string(bytes) + " bytes asked)"};
    }

private:
    NodeDisk& d_;
    std::uint64_t generation_;
};

NodeDisk::NodeDisk(raft::Rng& rng, std::uint64_t wal_segment_bytes) : rng_(rng), wal_segment_bytes_(wal_segment_bytes) {
    fs_.make_dir(data_dir);
    fs_.set_hook([this](SimFileSystem::Op op) { return op == SimFileSystem::Op::sync ? sync_fault() : 0; });
}

int NodeDisk::sync_fault() {
    if (faults_.sync_fail <= 0 || rng_.unit() >= faults_.sync_fail) return 0;
    ++failed_syncs_;
    return EIO;
}

std::shared_ptr<storage::LogStore> NodeDisk::open(Status& status) {
    storage::WalOptions wal;
    wal.dir = std::string(data_dir) + "/wal";
    wal.segment_bytes = wal_segment_bytes_;
    wal.fs = &fs_;
    return std::shared_ptr<storage::LogStore>(storage::LogStore::open(std::make_unique<Meta>(*this), wal, status));
}

void NodeDisk::crash() {
    ++generation_;
    fs_.crash([this] { return rng_.below(2) == 1; });
}

void NodeDisk::set_faults(const DiskFaults& f) {
    faults_ = f;
    fs_.set_capacity(f.capacity_bytes);
}

std::vector<std::pair<std::string, std::string>> NodeDisk::figures() const {
    return {{"simSyncs", std::to_string(fs_.syncs())},
            {"simMetaCommits", std::to_string(meta_commits_)},
            {"simFailedSyncs", std::to_string(failed_syncs_)},
            {"simFullRefusals", std::to_string(full_refusals())},
            {"simBytesUsed", std::to_string(used())}};
}

}  // namespace raftor::sim
