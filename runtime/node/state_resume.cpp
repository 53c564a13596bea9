#include "runtime/node/state_resume.hpp"

#include "runtime/state/state_db.hpp"

namespace raftor::node {

ResumeDecision can_resume(storage::StateStore& store, bool synced, std::string_view boot_id, raft::Index snapshot_index,
                          raft::Index last_index) {
    ResumeDecision d;
    storage::Status st;
    auto view = store.read(st);
    if (!st.ok()) return d.why = "the state store cannot be read: " + st.message, d;
    std::optional<std::string_view> format, boot;
    if (st = view->get(state::tables::store_info, state::store_info_format, format); !st.ok())
        return d.why = "the state store cannot be read: " + st.message, d;
    if (st = view->get(state::tables::store_info, state::store_info_boot, boot); !st.ok())
        return d.why = "the state store cannot be read: " + st.message, d;
    const raft::Index applied = view->applied_index();
    if (!format) return d.why = "the state store is new, or from a release before it held the whole state", d;
    if (*format != state_format)
        return d.why = "the state store's format is " + std::string(*format) + ", not " + std::string(state_format), d;
    if (!synced && (boot_id.empty() || !boot || *boot != boot_id))
        return d.why = "the state store was not synced at its last stop and the machine restarted since", d;
    if (applied < snapshot_index)
        return d.why = "the state store applied through " + std::to_string(applied) + ", before the snapshot at " +
                       std::to_string(snapshot_index),
               d;
    if (applied > last_index)
        return d.why = "the state store applied through " + std::to_string(applied) + ", past the log's end at " +
                       std::to_string(last_index),
               d;
    d.resume = true;
    d.applied = applied;
    return d;
}

}  // namespace raftor::node
