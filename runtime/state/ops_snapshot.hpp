#pragma once
// The operations state machine's part of a state snapshot (schema/operations.capnp).
#include <optional>
#include <string>

#include "runtime/state/ops_machine.hpp"
#include "schema/operations.capnp.h"

namespace raftor::state {

struct OpsSnapshotCodec {
    static void save(const OpsMachine& m, schema::OperationsSnapshot::Builder b);
    // Replaces `m`'s state; on bad content leaves it untouched and says why.
    static std::optional<std::string> load(OpsMachine& m, schema::OperationsSnapshot::Reader r);
};

}  // namespace raftor::state
