#pragma once
// The vocabulary actors speak. Whatever crosses a process or a disk is a Cap'n Proto
// frame (a std::string of its bytes); hand-offs that stay inside one process (a batch for the
// storage actor, a reply to a local client) travel as shared, immutable C++ values.
#include <caf/all.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runtime/node/applier.hpp"
#include "runtime/node/completion.hpp"
#include "runtime/storage/store.hpp"

namespace raftor::actors {

using tick_atom = caf::atom_constant<caf::atom("tick")>;
using pace_atom = caf::atom_constant<caf::atom("pace")>;            // -> election_timer: tick at percent of normal
using frame_atom = caf::atom_constant<caf::atom("frame")>;          // peer frame in or out
using persist_atom = caf::atom_constant<caf::atom("persist")>;      // peer -> storage
using persisted_atom = caf::atom_constant<caf::atom("persisted")>;  // storage -> peer
using flush_atom = caf::atom_constant<caf::atom("flush")>;          // storage -> itself
using snapshot_atom = caf::atom_constant<caf::atom("snapshot")>;    // peer -> storage: local snapshot
using storage_error_atom = caf::atom_constant<caf::atom("stor_err")>;
// storage -> peer: out of room (map or disk) or room again; writes wait and are retried.
using storage_full_atom = caf::atom_constant<caf::atom("stor_full")>;
using retry_atom = caf::atom_constant<caf::atom("retry")>;    // storage -> itself: try the writes again
using resize_atom = caf::atom_constant<caf::atom("resize")>;  // -> peer -> storage: a larger LMDB map
using write_atom = caf::atom_constant<caf::atom("write")>;
using read_atom = caf::atom_constant<caf::atom("read")>;
using status_atom = caf::atom_constant<caf::atom("status")>;
using register_atom = caf::atom_constant<caf::atom("register")>;
using cut_atom = caf::atom_constant<caf::atom("cut")>;
using sync_atom = caf::atom_constant<caf::atom("sync")>;    // make everything queued durable, then answer
using fetch_atom = caf::atom_constant<caf::atom("fetch")>;  // peer -> storage: entries read back
using drain_atom = caf::atom_constant<caf::atom("drain")>;  // peer -> itself: run the core's outputs
// raft_peer <-> state_machine: committed entries in log order, a leader's snapshot,
// writes awaiting their entry, leadership lost; back: a snapshot to compact to, progress.
using await_atom = caf::atom_constant<caf::atom("await")>;
using apply_atom = caf::atom_constant<caf::atom("apply")>;
using restore_atom = caf::atom_constant<caf::atom("restore")>;
using abandon_atom = caf::atom_constant<caf::atom("abandon")>;
using compact_atom = caf::atom_constant<caf::atom("compact")>;
using step_down_atom = caf::atom_constant<caf::atom("stepdown")>;  // hand leadership over before a stop: AdminAnswer
using http_atom = caf::atom_constant<caf::atom("http")>;           // a request from the HTTP server
// Operations: an encoded command to propose, a read of the state at a read index,
// followers of the state (scheduler, executor, signer) told of changes and leadership.
using propose_atom = caf::atom_constant<caf::atom("propose")>;
using query_atom = caf::atom_constant<caf::atom("query")>;
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;
using ops_changed_atom = caf::atom_constant<caf::atom("opschange")>;
// The changes a follower subscribes to (a mask of these): it is told of no other.
enum OpsInterest : std::uint8_t {
    schedules_changed = 1,  // the scheduler
    runnable_changed = 2,   // the executor; the gateway's waits for an execution to finish
    receipts_changed = 4,   // the signer
};
using leadership_atom = caf::atom_constant<caf::atom("leadershp")>;
using wake_atom = caf::atom_constant<caf::atom("wake")>;  // an actor's own timer
// Operator requests (POST /admin/...):
using transfer_atom = caf::atom_constant<caf::atom("transfer")>;    // -> peer: hand leadership to a voter
using snapnow_atom = caf::atom_constant<caf::atom("snapnow")>;      // -> peer -> state machine: snapshot now
using member_atom = caf::atom_constant<caf::atom("member")>;        // -> peer: propose a membership change
using drained_atom = caf::atom_constant<caf::atom("drained")>;      // -> peer, executor: drain mode on/off
using members_atom = caf::atom_constant<caf::atom("members")>;      // state machine -> peer: the registry changed
using selfcheck_atom = caf::atom_constant<caf::atom("selfcheck")>;  // supervisor -> itself: run the self-check

using Frame = std::string;
using BatchPtr = std::shared_ptr<const storage::WriteBatch>;
using SnapshotPtr = std::shared_ptr<const raft::Snapshot>;
using CompletionPtr = std::shared_ptr<const node::Completion>;
using EntriesPtr = std::shared_ptr<const std::vector<raft::Entry>>;
using DataPtr = std::shared_ptr<const std::string>;
using QueryPtr = std::shared_ptr<const node::Query>;

struct MemberProgress {
    raft::NodeId id = 0;
    raft::Index match = 0;
    std::uint64_t lag_ms = 0;  // age of the oldest entry it lacks
};

struct PeerStatus {
    raft::NodeId id = 0;
    raft::Role role = raft::Role::follower;
    raft::Term term = 0;
    raft::NodeId leader = 0;
    raft::Index commit = 0;
    raft::Index applied = 0;
    raft::Index last_index = 0;
    raft::ConfState conf;
    std::vector<MemberProgress> progress;  // the leader's view of every member but itself
    // Leader: the largest lag_ms; follower: time since the leader was last heard from,
    // beyond one heartbeat interval.
    std::uint64_t replication_lag_ms = 0;
    bool storage_full = false;  // writes wait for room (map or disk full)
    std::string storage_full_reason;
};
using StatusPtr = std::shared_ptr<const PeerStatus>;
// How a storage request ended: storage::Errc (ok, map_full, io, ...) and what happened.
using StorageAnswerPtr = std::shared_ptr<const storage::Status>;

// The answer to an operator's request of the peer (transfer, snapshot): done or not,
// why not, and the figures that say what happened.
struct AdminAnswer {
    bool ok = true;
    std::string code;    // when not ok: not_leader, no_target, transfer_failed, storage_failed, ...
    std::string detail;  // for the operator
    raft::NodeId leader = 0;
    raft::Index index = 0;
    raft::Term term = 0;
    std::uint64_t bytes = 0;
    bool changed = true;  // false: nothing to do (already leader elsewhere, nothing new to snapshot)
};
using AdminAnswerPtr = std::shared_ptr<const AdminAnswer>;
using MembersPtr = std::shared_ptr<const state::MemberRegistry>;

}  // namespace raftor::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(raftor::actors::BatchPtr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(raftor::actors::SnapshotPtr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(raftor::actors::CompletionPtr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(raftor::actors::EntriesPtr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(raftor::actors::DataPtr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(raftor::actors::QueryPtr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(raftor::actors::StatusPtr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(raftor::actors::StorageAnswerPtr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(raftor::actors::AdminAnswerPtr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(raftor::actors::MembersPtr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(raftor::raft::ConfChangeType)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(raftor::state::KvCommand)
