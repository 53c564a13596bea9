#pragma once
// The simulated network of `raftor sim`: a transport actor in place of TCP. Every frame
// a peer sends is dropped, delayed (so reordered) or duplicated as the seeded model
// says, and is delivered only if no partition stands between the two nodes when it
// arrives and the receiver is up.
#include <caf/all.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "actors/messages.hpp"
#include "runtime/raft/rng.hpp"

namespace raftor::sim {

using deliver_atom = caf::atom_constant<caf::atom("deliver")>;

struct NetworkModel {
    explicit NetworkModel(raft::Rng& r) : rng(r) {}
    raft::Rng& rng;
    double drop = 0;
    double duplicate = 0;
    std::uint64_t delay_min_us = 100;
    std::uint64_t delay_max_us = 2000;
    std::set<std::pair<raft::NodeId, raft::NodeId>> blocked;  // (from, to): that direction is cut
    std::map<raft::NodeId, caf::actor> peers;                 // the running incarnation of each node
    std::uint64_t sent = 0, dropped = 0, duplicated = 0, delivered = 0;
    // Bytes each node put on the wire, and bytes delivered to each: what a resend storm shows in.
    std::map<raft::NodeId, std::uint64_t> bytes_sent, bytes_delivered;
    // Every drop, loss and delivery ("drop", "lost", "deliver"): the simulator's trace.
    std::function<void(const char* what, raft::NodeId from, raft::NodeId to, std::size_t bytes)> event;

    bool cut(raft::NodeId from, raft::NodeId to) const { return blocked.count({from, to}) != 0; }
};
using NetworkModelPtr = std::shared_ptr<NetworkModel>;

struct SimNetworkState {
    NetworkModelPtr model;
    static inline const char* name = "sim_network";
};
caf::behavior sim_network(caf::stateful_actor<SimNetworkState>* self, NetworkModelPtr model);

}  // namespace raftor::sim

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(raftor::sim::NetworkModelPtr)
