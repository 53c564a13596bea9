#include "runtime/storage/store.hpp"

namespace raftor::storage {

WriteBatch WriteBatch::from(raft::Ready& rd) {
    return WriteBatch{std::move(rd.hard_state), std::move(rd.entries), std::move(rd.snapshot)};
}

}  // namespace raftor::storage
