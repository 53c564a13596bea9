#pragma once
// A snapshot of the whole replicated state: the key-value namespace and the
// operations state machine, in one Cap'n Proto message (schema/state.capnp).
#include <optional>
#include <string>

#include "runtime/state/kv_store.hpp"
#include "runtime/state/member_registry.hpp"
#include "runtime/state/ops_machine.hpp"
#include "schema/state.capnp.h"

namespace raftor::state {

struct KvCodec {
    static void save(const KvStore& m, schema::StateSnapshot::Builder b);
    static std::optional<std::string> load(KvStore& m, schema::StateSnapshot::Reader r);
    // A key-value command from an entry's Command (kvPut or kvDelete), checked.
    static std::optional<KvCommand> command(schema::Command::Reader c, std::string& error);
};

std::string encode_state(const KvStore& kv, const OpsMachine& ops, const MemberRegistry& members = {});
// Replaces all of them (members only when given); on bad bytes leaves them untouched
// and says why. The key-value part is written into the open batch of `kv`'s store (the
// caller commits it, or drops it on an error), or into a batch of its own.
std::optional<std::string> restore_state(const std::string& bytes, KvStore& kv, OpsMachine& ops,
                                         MemberRegistry* members = nullptr);

}  // namespace raftor::state
