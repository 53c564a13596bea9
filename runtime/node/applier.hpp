#pragma once
// The state-machine side of a node, without I/O of its own: the replicated state, fed
// committed entries in log order (or a snapshot that replaces it), and the client
// requests waiting on it: writes waiting for their entry to apply, reads waiting for an
// index. Each apply() is one batch of the state's store. It also says when a snapshot is
// due (every snapshot_interval_ops applied entries, ch. 5.1).
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runtime/node/completion.hpp"
#include "runtime/raft/types.hpp"
#include "runtime/state/kv_store.hpp"
#include "runtime/state/member_registry.hpp"
#include "runtime/state/ops_machine.hpp"

namespace raftor::node {

struct Options {
    std::uint64_t snapshot_interval_ops = 100'000;
    state::OpsOptions ops;
    // A store transaction is committed, at the end of an entry, once it has written
    // batch_bytes_max (StateDb::batch_bytes) or applied batch_entries_max entries; each
    // starts only when the store has batch_room_bytes of room. A full disk then stops
    // applying between entries, to go on once there is room, never in the middle of one.
    std::uint64_t batch_bytes_max = std::uint64_t{4} << 20;
    std::size_t batch_entries_max = 1024;
    std::uint64_t batch_room_bytes = std::uint64_t{16} << 20;
    // The running kernel's boot id, recorded in the store (node/state_resume.hpp); empty
    // in the simulator and tests.
    std::string boot_id;
};

class Applier;
// A read of anything in the state, run once the state has applied its read index;
// it keeps what it needs from the state (the caller renders it later).
using Query = std::function<void(const Applier&)>;

struct SnapshotDue {
    raft::Index index;
    std::shared_ptr<const std::string> data;
};

class Applier {
public:
    // Restarts from a snapshot's data (when there is one); throws if it does not restore.
    // The state's tables are in `store` (null: in memory), rebuilt there from the snapshot:
    // what the store held from before is not trusted yet, the log is applied again.
    // With `resume`, the store already holds the state through its applied index (the
    // node checked it may trust it: can_resume) and is opened as it stands.
    Applier(Options opts, raft::Index snapshot_index, std::shared_ptr<const std::string> snapshot_data,
            std::shared_ptr<storage::StateStore> store = nullptr, bool resume = false);

    // A write proposed at (index, term): done when that entry applies, unknown when
    // another entry takes its place or a snapshot covers it.
    void await(Token t, raft::Index index, raft::Term term);
    // A read served once everything up to `at` is applied (0: at once, a stale read).
    void read(Token t, std::string key, raft::Index at);
    void query(Token t, Query q, raft::Index at);

    // Applies committed[from..] in log order, in store transactions of bounded size, and
    // returns how many it applied: fewer than all when the store had no room to start the
    // next transaction (waiting_for_room() says why). The caller offers the rest again.
    std::size_t apply(const std::vector<raft::Entry>& committed, std::size_t from = 0);
    // Why applying waits (the store's answer), or nothing.
    const std::optional<std::string>& waiting_for_room() const { return waiting_for_room_; }
    // A snapshot of `bytes` can be restored now: the store has the room for it (else
    // waiting_for_room() says why).
    bool room_to_restore(std::size_t bytes);
    // A snapshot from the leader replaces the state; it was checksummed on the way in.
    std::optional<std::string> restore(const raft::SnapshotMeta& meta, const std::string& data);
    // Writes proposed before `term` end unknown (unless applied already).
    void abandon(raft::Term before);

    // A snapshot of the state when one is due; taking it resets the count.
    std::optional<SnapshotDue> snapshot_due();
    // A snapshot now (an operator asked), unless nothing applied since the last one.
    std::optional<SnapshotDue> snapshot_now();
    std::vector<Completion> take_completions();

    raft::Index applied() const { return applied_; }
    const state::KvStore& kv() const { return kv_; }
    const state::OpsMachine& ops() const { return ops_; }
    bool ops_changed() const { return ops_.changed(); }
    const state::MemberRegistry& members() const { return members_; }
    // True once after the members changed (a conf-change entry applied, a snapshot restored).
    bool take_members_changed() { return std::exchange(members_changed_, false); }
    state::OpsChanges take_ops_changes() { return ops_.take_changes(); }
    std::size_t pending_writes() const { return writes_.size(); }
    std::size_t pending_reads() const { return reads_.size(); }

private:
    void serve_reads();
    void apply_entry(const raft::Entry& e);
    void apply_conf_change(const raft::Entry& e);
    bool room(std::uint64_t bytes);
    void rebuild(raft::Index snapshot_index, const std::shared_ptr<const std::string>& snapshot_data);
    void open_as_it_stands(raft::Index snapshot_index);
    void record_boot();  // the store's format and this boot, into the open batch
    void complete(Completion c) { completions_.push_back(std::move(c)); }

    Options opts_;
    std::unique_ptr<state::StateDb> db_;
    state::KvStore kv_;
    state::OpsMachine ops_;
    state::MemberRegistry members_;
    bool members_changed_ = false;
    raft::Index applied_ = 0;
    raft::Index last_snapshot_index_ = 0;
    struct PendingWrite {
        Token token;
        raft::Term term;
    };
    std::map<raft::Index, PendingWrite> writes_;
    struct PendingRead {
        Token token;
        std::string key;
        Query query;  // set: run it instead of reading `key`
    };
    std::multimap<raft::Index, PendingRead> reads_;
    std::vector<Completion> completions_;
    std::optional<std::string> waiting_for_room_;
};

}  // namespace raftor::node
