#pragma once
// The operations state machine's part of a state snapshot (schema/operations.capnp).
#include <optional>
#include <string>

#include "runtime/state/ops_machine.hpp"
#include "schema/operations.capnp.h"

namespace raftor::state {

struct OpsSnapshotCodec {
    static void save(const OpsMachine& m, schema::OperationsSnapshot::Builder b);
    // Replaces `m`'s state; on bad content leaves it untouched and says why. The history
    // is written into the batch open on `m`'s db, which the caller commits or drops (or,
    // with none open, into a batch of its own).
    static std::optional<std::string> load(OpsMachine& m, schema::OperationsSnapshot::Reader r);
    // `m` takes what `next` (loaded over `m`'s db) holds, keeping the db it may own.
    static void adopt(OpsMachine& m, OpsMachine&& next);
};

}  // namespace raftor::state
