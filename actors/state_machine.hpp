#pragma once
#include <atomic>
// The state machine actor: a thin shell around node::Applier. The raft_peer hands it
// committed entries in log order (and a leader's snapshot); client writes and reads
// are delegated to it by the raft_peer and answered from here once their entry, or
// their read index, has applied. It tells the raft_peer how far it has applied and
// when a snapshot is due.
#include <caf/all.hpp>
#include <deque>
#include <map>
#include <memory>

#include "actors/introspection.hpp"
#include "actors/messages.hpp"
#include "actors/peer_protocol.hpp"
#include "runtime/metrics/live_counters.hpp"
#include "runtime/node/applier.hpp"

namespace raftor::actors {

struct StateMachineSetup {
    node::Options options;
    raft::Index snapshot_index = 0;
    DataPtr snapshot_data;  // the state to start from (null: empty)
    Peer peer;
    // The index applied, published for the peer's status: a figure read on request, which
    // a message per applied batch cost the peer one handler each.
    std::shared_ptr<std::atomic<raft::Index>> applied;
    std::shared_ptr<storage::StateStore> store;  // the state's tables (null: in memory)
    metrics::CountersPtr counters;               // raftor_state_store_full (null: none)
    bool resume = false;                         // the store holds the state: open it, rebuild nothing
};
using StateMachineSetupPtr = std::shared_ptr<const StateMachineSetup>;

// Its protocol, checked by the compiler: the peer's committed entries, snapshots and
// abandoned terms; client writes, reads and queries the peer delegates, each answered
// with its completion once it applies; an operator's snapshot; the subscriptions of the
// actors told when operations change; and the introspector's question. What it tells
// the subscribers goes by anon_send: their handles are dynamically typed.
using StateMachine =
    caf::typed_actor<caf::replies_to<await_atom, raft::Index, raft::Term, std::int64_t>::with<CompletionPtr>,
                     caf::replies_to<read_atom, std::string, raft::Index>::with<CompletionPtr>,
                     caf::replies_to<query_atom, QueryPtr, raft::Index>::with<CompletionPtr>,
                     caf::reacts_to<subscribe_atom, caf::actor, std::uint8_t>,
                     caf::reacts_to<apply_atom, EntriesPtr, std::int64_t>, caf::reacts_to<restore_atom, SnapshotPtr>,
                     caf::reacts_to<retry_atom>, caf::replies_to<snapnow_atom>::with<raft::Index, DataPtr>,
                     caf::reacts_to<abandon_atom, raft::Term>, caf::replies_to<inspect_atom>::with<ReportPtr>>;

struct StateMachineState {
    std::unique_ptr<node::Applier> applier;
    std::map<node::Token, caf::typed_response_promise<CompletionPtr>> waiting;
    // Writes awaited: when the leader proposed them (steady ns), for their stage times;
    // and when the peer handed over the batch being applied.
    std::map<node::Token, std::int64_t> proposed_ns;
    std::int64_t handed_ns = 0;
    node::Token next_token = 1;
    std::uint64_t snapshots = 0;
    // What the peer handed over and the store had no room for yet, in order: entries
    // (from `from` on) or a snapshot. Tried again every storage_full_retry.
    struct Pending {
        EntriesPtr entries;
        std::size_t from = 0;
        std::int64_t handed_ns = 0;
        SnapshotPtr snapshot;
    };
    std::deque<Pending> pending;
    bool retry_due = false;
    bool waiting_logged = false;
    std::vector<std::pair<caf::actor, std::uint8_t>> followers;  // told when operations change, of what (OpsInterest)
    ActorStats stats;
    static inline const char* name = "state_machine";
};

StateMachine::behavior_type state_machine(StateMachine::stateful_pointer<StateMachineState> self,
                                          StateMachineSetupPtr setup);

}  // namespace raftor::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(raftor::actors::StateMachineSetupPtr)
