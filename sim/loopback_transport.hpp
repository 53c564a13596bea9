#pragma once
// An in-process transport actor for simulations and tests: routes peer frames
// between raft_peer actors of one actor system, and cuts nodes off on demand.
#include <caf/all.hpp>
#include <map>
#include <set>
#include <string>

#include "actors/messages.hpp"

namespace raftor::sim {
struct LoopbackState {
    std::map<raft::NodeId, caf::actor> peers;
    std::set<raft::NodeId> cut;
    std::uint64_t delivered = 0;
    static inline const char* name = "loopback_transport";
};
// `name` is not used: it exists because CAF 0.17 dereferences a null argument tuple
// when a function-based actor is spawned without arguments, which UBSan flags.
caf::behavior loopback_transport(caf::stateful_actor<LoopbackState>* self, std::string name);
}  // namespace raftor::sim
