#pragma once
// The state machine actor: a thin shell around node::Applier. The raft_peer hands it
// committed entries in log order (and a leader's snapshot); client writes and reads
// are delegated to it by the raft_peer and answered from here once their entry, or
// their read index, has applied. It tells the raft_peer how far it has applied and
// when a snapshot is due.
#include <caf/all.hpp>
#include <map>
#include <memory>

#include "actors/introspection.hpp"
#include "actors/messages.hpp"
#include "runtime/node/applier.hpp"

namespace raftor::actors {

struct StateMachineSetup {
    node::Options options;
    raft::Index snapshot_index = 0;
    DataPtr snapshot_data;  // the state to start from (null: empty)
    caf::actor peer;
};
using StateMachineSetupPtr = std::shared_ptr<const StateMachineSetup>;

struct StateMachineState {
    std::unique_ptr<node::Applier> applier;
    std::map<node::Token, caf::response_promise> waiting;
    // Writes awaited: when the leader proposed them (steady ns), for their stage times;
    // and when the peer handed over the batch being applied.
    std::map<node::Token, std::int64_t> proposed_ns;
    std::int64_t handed_ns = 0;
    node::Token next_token = 1;
    std::uint64_t snapshots = 0;
    std::vector<caf::actor> followers;  // told when operations change
    ActorStats stats;
    static inline const char* name = "state_machine";
};

caf::behavior state_machine(caf::stateful_actor<StateMachineState>* self, StateMachineSetupPtr setup);

}  // namespace raftor::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(raftor::actors::StateMachineSetupPtr)
