#pragma once
// The few records LogStore keeps beside its write-ahead log: the hard state (term, vote,
// commit index) and the newest snapshot, its metadata and its data. They change rarely
// (a term or vote change, a snapshot), and each change is one atomic, durable commit.
// On a node that is LMDB (lmdb_meta_store.hpp). In the simulator it is an in-memory
// stand-in with the same all-or-nothing commit (sim/sim_meta_store.hpp), because LMDB
// writes through a memory map that no simulated disk can sit under.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "runtime/storage/status.hpp"

namespace raftor::storage {

// Records as stored: hard state and snapshot metadata sealed (sealed.hpp).
struct MetaRecords {
    std::optional<std::string> hard_state;
    std::optional<std::string> snapshot_meta;
    std::shared_ptr<const std::string> snapshot_data;  // read only when asked for
};

// What one commit replaces; what is null stays as it was.
struct MetaWrite {
    const std::string* hard_state = nullptr;
    const std::string* snapshot_meta = nullptr;
    const std::string* snapshot_data = nullptr;  // with snapshot_meta
};

class MetaStore {
public:
    virtual ~MetaStore() = default;
    // All of it is durable on success; on an error none of it was written.
    virtual Status commit(const MetaWrite& w) = 0;
    virtual Status read(MetaRecords& out, bool with_snapshot_data) const = 0;
    // More room for a store with a bounded map: no restart needed.
    virtual Status set_map_size(std::size_t bytes) = 0;
};

}  // namespace raftor::storage
