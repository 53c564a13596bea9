#pragma once
// Whether a node opens its state store as it stands, resuming from the index the store
// applied through, or rebuilds it from the snapshot and the log. The store commits
// without fsync, so what it holds is trusted only when nothing can have been lost since:
//  - it was synced at a clean stop (the node wrote `synced` after syncing it), or
//  - it was written on this boot (its `boot` row is the running kernel's boot id): a
//    process that died left its writes in the page cache, and LMDB's commit is atomic
//    against a process dying.
// It must also be of this format, and applied through an index the log can go on from:
// at or past the snapshot's, and not past the log's end.
#include <string>
#include <string_view>

#include "runtime/raft/types.hpp"
#include "runtime/storage/state_store.hpp"

namespace raftor::node {

// The store's own rows (state_db.hpp, tables::store_info): its format, the boot it was
// last opened on.
inline constexpr std::string_view state_format = "1";

struct ResumeDecision {
    bool resume = false;
    raft::Index applied = 0;  // the store's applied index (when resume)
    std::string why;          // why not, when rebuilt
};

ResumeDecision can_resume(storage::StateStore& store, bool synced, std::string_view boot_id, raft::Index snapshot_index,
                          raft::Index last_index);

}  // namespace raftor::node
