#pragma once
// The raft_peer's protocol, apart from the actor, so that whoever talks to the peer (its
// storage, state machine and election timer, the operations actors, the gateway) holds
// a typed handle without the peer's state.
#include <caf/all.hpp>

#include "actors/introspection.hpp"
#include "actors/messages.hpp"

namespace raftor::actors {

// Checked by the compiler wherever the peer is held by this handle:
//  - its inputs: the election timer's tick, a peer's frame, what storage and the state
//    machine report (durable, full, failed, applied, a snapshot due, the registry);
//  - clients' writes, proposals, reads and queries, answered with their completion;
//  - operators' requests (transfer, step down, snapshot, membership, drain, resize,
//    sync), the subscriptions of the operations actors, its status and its report;
//  - its own drain of the core's outputs.
// What it tells the transport and its subscribers goes by anon_send: their handles are
// dynamically typed (the subscribers are of several kinds).
using Peer = caf::typed_actor<
    caf::reacts_to<tick_atom>, caf::reacts_to<frame_atom, raft::NodeId, Frame>,
    caf::reacts_to<persisted_atom, std::uint64_t>, caf::reacts_to<drain_atom>,
    caf::reacts_to<storage_full_atom, bool, std::string>, caf::reacts_to<storage_error_atom, std::string>,
    caf::replies_to<resize_atom, std::uint64_t>::with<StorageAnswerPtr>,
    caf::replies_to<write_atom, state::KvCommand>::with<CompletionPtr>,
    caf::replies_to<propose_atom, std::string>::with<CompletionPtr>,
    caf::replies_to<query_atom, QueryPtr, bool>::with<CompletionPtr>,
    caf::replies_to<read_atom, std::string, bool>::with<CompletionPtr>,
    caf::reacts_to<subscribe_atom, caf::actor, std::uint8_t>, caf::reacts_to<compact_atom, raft::Index, DataPtr>,
    caf::replies_to<snapnow_atom>::with<AdminAnswerPtr>,
    caf::replies_to<transfer_atom, raft::NodeId>::with<AdminAnswerPtr>,
    caf::replies_to<member_atom, raft::ConfChangeType, raft::NodeId, std::string>::with<CompletionPtr>,
    caf::reacts_to<members_atom, MembersPtr>, caf::replies_to<drained_atom, bool>::with<bool>,
    caf::replies_to<step_down_atom>::with<AdminAnswerPtr>, caf::replies_to<status_atom>::with<StatusPtr>,
    caf::replies_to<inspect_atom>::with<ReportPtr>, caf::replies_to<sync_atom>::with<bool>>;

}  // namespace raftor::actors
