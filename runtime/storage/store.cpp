#include "runtime/storage/store.hpp"

namespace raftor::storage {

WriteBatch WriteBatch::from(raft::Ready& rd) {
    return WriteBatch{std::move(rd.hard_state), std::move(rd.entries), std::move(rd.snapshot)};
}

raft::Restore to_restore(Loaded loaded, raft::ConfState initial_conf) {
    raft::Restore r;
    r.hard_state = loaded.hard_state;
    r.snapshot = loaded.snapshot;
    r.snapshot_data = std::move(loaded.snapshot_data);
    r.entries = std::move(loaded.entries);
    r.cached_from = loaded.cached_from;
    r.initial_conf = std::move(initial_conf);
    return r;
}

}  // namespace raftor::storage
