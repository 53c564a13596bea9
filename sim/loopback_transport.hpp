#pragma once
// An in-process transport actor for simulations and tests: routes peer frames
// between raft_peer actors of one actor system, and cuts nodes off on demand.
#include <caf/all.hpp>
#include <map>
#include <set>

#include "actors/messages.hpp"

namespace raftor::sim {
struct LoopbackState {
    std::map<raft::NodeId, caf::actor> peers;
    std::set<raft::NodeId> cut;
    std::uint64_t delivered = 0;
    static inline const char* name = "loopback_transport";
};
caf::behavior loopback_transport(caf::stateful_actor<LoopbackState>* self);
}  // namespace raftor::sim
