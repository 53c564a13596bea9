#include "runtime/state/state_snapshot.hpp"

#include "runtime/raft/capnp_io.hpp"
#include "runtime/state/ops_snapshot.hpp"

namespace raftor::state {

std::string encode_state(const KvStore& kv, const OpsMachine& ops) {
    capnp::MallocMessageBuilder mb;
    auto s = mb.initRoot<schema::StateSnapshot>();
    KvCodec::save(kv, s);
    OpsSnapshotCodec::save(ops, s.initOperations());
    return raft::detail::to_bytes(mb);
}

std::optional<std::string> restore_state(const std::string& bytes, KvStore& kv, OpsMachine& ops) {
    std::string error;
    KvStore next_kv;
    OpsMachine next_ops = ops;
    auto done = raft::detail::decode_root<schema::StateSnapshot>(
        bytes, error, "state snapshot", [&](schema::StateSnapshot::Reader s) -> std::optional<bool> {
            if (auto e = KvCodec::load(next_kv, s)) return error = *e, std::nullopt;
            if (auto e = OpsSnapshotCodec::load(next_ops, s.getOperations())) return error = *e, std::nullopt;
            return true;
        });
    if (!done) return error;
    kv = std::move(next_kv);
    ops = std::move(next_ops);
    return std::nullopt;
}

}  // namespace raftor::state
