#pragma once
// A node's state store, opened at start: as it stands when it can be trusted
// (node/state_resume.hpp), else emptied to be rebuilt from the snapshot and the log. At
// a clean stop it is synced, and a file says so.
#include <memory>
#include <string>

#include "runtime/raft/types.hpp"
#include "runtime/storage/state_store_lmdb.hpp"

namespace raftor::actors {

struct OpenedState {
    std::shared_ptr<storage::LmdbStateStore> store;
    bool resume = false;
    raft::Index applied = 0;  // when resume
    std::string boot_id;      // the running kernel's, recorded in the store
};

// Opens `data_dir`/state; an error says what failed (empty when opened).
std::string open_state_store(const std::string& data_dir, raft::Index snapshot_index, raft::Index last_index,
                             OpenedState& out);
// Syncs the store and records that it was: the next start may trust it after a reboot.
void close_state_store(const std::string& data_dir, OpenedState& s);

}  // namespace raftor::actors
