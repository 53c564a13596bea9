#pragma once
// What the operations actors (executor, scheduler, receipt signer) and the gateway ask
// the raft_peer: propose an operations command stamped with the time their wall clock
// (wall_clock.hpp) read, or look at this node's copy of the state. The state machine
// takes its times from the entries.
#include <chrono>
#include <cstdint>

#include "actors/messages.hpp"
#include "actors/peer_protocol.hpp"
#include "actors/timeouts.hpp"
#include "actors/wall_clock.hpp"
#include "runtime/state/ops_command.hpp"

namespace raftor::actors {

// The answer (a CompletionPtr) comes once the entry applies, or the proposal is refused.
template <typename Self>
auto propose_ops(Self* self, const Peer& peer, std::int64_t at_ms, state::OpsBody body) {
    const state::OpsCommand cmd{{}, at_ms, std::move(body)};
    return self->request(peer, timeouts::propose, propose_atom::value, state::encode_ops_command(cmd));
}

// Runs `look` on this node's state as it is (no read index): what a leader's own
// actors need to decide what to propose; the state machine re-checks every proposal.
template <typename Self>
auto query_local(Self* self, const Peer& peer, node::Query look) {
    return self->request(peer, timeouts::local_query, query_atom::value,
                         QueryPtr(std::make_shared<node::Query>(std::move(look))), true);
}

}  // namespace raftor::actors
