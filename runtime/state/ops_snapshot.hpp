#pragma once
// The operations state machine's part of a state snapshot (schema/operations.capnp).
#include <optional>
#include <string>

#include "runtime/state/ops_machine.hpp"
#include "schema/operations.capnp.h"

namespace raftor::state {

struct OpsSnapshotCodec {
    static void save(const OpsMachine& m, schema::OperationsSnapshot::Builder b);
    // save() alone, as bytes: two machines in the same state encode the same.
    static std::string encode(const OpsMachine& m);
    // The figures, keys and leader terms alone (the lists empty): the machine's row.
    static void save_meta(const OpsMachine& m, schema::OperationsSnapshot::Builder b);
    static void save_session(std::uint64_t client, const OpsMachine::Session& s, schema::OpsSession::Builder b);
    // Replaces `m`'s state; on bad content leaves it untouched and says why. The history
    // is written into the batch open on `m`'s db, which the caller commits or drops (or,
    // with none open, into a batch of its own).
    static std::optional<std::string> load(OpsMachine& m, schema::OperationsSnapshot::Reader r);
    // `m` takes what `next` (loaded over `m`'s db) holds, keeping the db it may own.
    static void adopt(OpsMachine& m, OpsMachine&& next);
    // Fills `next` (fresh, over its db) from `r`; the history from `r` into the tables,
    // or, with `history_in_table`, the one the tables hold already.
    static std::optional<std::string> load_into(OpsMachine& next, schema::OperationsSnapshot::Reader r,
                                                bool history_in_table);

    // ---- the state store's rows (ops_rows.cpp)
    // Writes the rows of what changed since the last call (every row, after a load),
    // into the batch open on `m`'s db.
    static void flush_rows(OpsMachine& m);
    // Replaces `m`'s state with what its db's rows hold; on bad rows leaves it untouched
    // and says why.
    static std::optional<std::string> reload(OpsMachine& m);
};

}  // namespace raftor::state
