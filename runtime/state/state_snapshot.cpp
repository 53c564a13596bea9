#include "runtime/state/state_snapshot.hpp"

#include <algorithm>

#include "runtime/raft/capnp_io.hpp"
#include "runtime/state/ops_snapshot.hpp"

namespace raftor::state {

std::string encode_state(const KvStore& kv, const OpsMachine& ops, const MemberRegistry& members) {
    // A first segment the size the KV data will take (each pair also has four words of
    // its own, and each key and value rounds up to a word): growing by doubling from a
    // small one allocated up to twice the state on the way.
    const std::size_t kv_words = (kv.data_bytes() + 8 * kv.size()) / sizeof(capnp::word) + 6 * kv.size();
    capnp::MallocMessageBuilder mb(static_cast<unsigned>(std::min<std::size_t>(kv_words + 1024, 1u << 28)));
    auto s = mb.initRoot<schema::StateSnapshot>();
    KvCodec::save(kv, s);
    OpsSnapshotCodec::save(ops, s.initOperations());
    auto list = s.initMembers(static_cast<unsigned>(members.all().size()));
    unsigned i = 0;
    for (const auto& [id, m] : members.all()) {
        list[i].setId(m.id);
        list[i].setName(m.name);
        list[i].setPeerAddress(m.peer_address);
        ++i;
    }
    return raft::detail::to_bytes(mb);
}

std::optional<std::string> restore_state(const std::string& bytes, KvStore& kv, OpsMachine& ops,
                                         MemberRegistry* members) {
    std::string error;
    MemberRegistry next_members;
    // The tables are written in the store's batch, which is dropped when anything is bad;
    // what is kept in memory is replaced only once everything loaded.
    StateDb::AutoBatch batch(kv.db());
    std::optional<StateDb::AutoBatch> ops_batch;  // a machine with a store of its own (tests)
    if (&ops.db() != &kv.db()) ops_batch.emplace(ops.db());
    std::optional<OpsMachine> next_ops;
    auto done = raft::detail::decode_root<schema::StateSnapshot>(
        bytes, error, "state snapshot", [&](schema::StateSnapshot::Reader s) -> std::optional<bool> {
            next_ops.emplace(ops.options(), ops.db());
            if (auto e = OpsSnapshotCodec::load(*next_ops, s.getOperations())) return error = *e, std::nullopt;
            for (auto m : s.getMembers()) {
                MemberInfo info{m.getId(), m.getName().cStr(), m.getPeerAddress().cStr()};
                if (error = check_member(info); !error.empty()) return std::nullopt;
                next_members.put(std::move(info));
            }
            if (auto e = KvCodec::load(kv, s)) return error = *e, std::nullopt;
            if (members) write_members(kv.db(), next_members);
            return true;
        });
    if (!done) return error;
    batch.done(kv.applied_index());
    if (ops_batch) ops_batch->done(ops.db().applied_index());
    OpsSnapshotCodec::adopt(ops, std::move(*next_ops));
    if (members) *members = std::move(next_members);
    return std::nullopt;
}

}  // namespace raftor::state
