#pragma once
// The simulated network of `raftor sim`, in place of TCP. A peer hands it its frames as
// it hands them to the TCP transport on a node (PeerSetup::send_frames), with no actor
// in between. Every frame is dropped, delayed (so reordered) or duplicated as the
// seeded model says, waits in flight, and is delivered only if no partition stands
// between the two nodes when it arrives and the receiver is up. The simulator delivers
// what is due before each step (ActorCluster::step), and moves time to the next arrival
// when nothing else runs.
#include <caf/all.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "actors/introspection.hpp"
#include "actors/messages.hpp"
#include "runtime/raft/rng.hpp"

namespace raftor::sim {

struct NetworkModel {
    explicit NetworkModel(raft::Rng& r) : rng(r) {}
    raft::Rng& rng;
    double drop = 0;
    double duplicate = 0;
    std::uint64_t delay_min_us = 100;
    std::uint64_t delay_max_us = 2000;
    // A link delivers in the order it was sent, as a TCP connection does; the `reorder`
    // fault lets a frame overtake the ones before it.
    bool in_order = true;
    std::set<std::pair<raft::NodeId, raft::NodeId>> blocked;  // (from, to): that direction is cut
    std::map<raft::NodeId, caf::actor> peers;                 // the running incarnation of each node
    std::uint64_t sent = 0, dropped = 0, duplicated = 0, delivered = 0;
    // Bytes each node put on the wire, and bytes delivered to each: what a resend storm shows in.
    std::map<raft::NodeId, std::uint64_t> bytes_sent, bytes_delivered;
    // Every drop, loss and delivery ("drop", "lost", "deliver"): the simulator's trace.
    std::function<void(const char* what, raft::NodeId from, raft::NodeId to, std::size_t bytes)> event;

    bool cut(raft::NodeId from, raft::NodeId to) const { return blocked.count({from, to}) != 0; }

    // A frame sent at `now_us`: dropped now, or put in flight (twice when duplicated).
    void send(raft::NodeId from, raft::NodeId to, actors::Frame bytes, std::uint64_t now_us);
    // The time the next frame in flight arrives; 0 when none is.
    std::uint64_t next_arrival() const { return in_flight_.empty() ? 0 : in_flight_.begin()->first.first; }
    // Delivers every frame arrived by `now_us`, in the order they arrive (ties: the order
    // they were sent), to the receiver's running incarnation, unless a partition cuts it.
    void deliver_due(std::uint64_t now_us);

private:
    struct InFlight {
        raft::NodeId from = 0, to = 0;
        actors::Frame bytes;
    };
    // By arrival time, then by the order sent.
    std::map<std::pair<std::uint64_t, std::uint64_t>, InFlight> in_flight_;
    std::uint64_t next_seq_ = 0;
    std::map<std::pair<raft::NodeId, raft::NodeId>, std::uint64_t> last_arrival_;  // per link
};
using NetworkModelPtr = std::shared_ptr<NetworkModel>;

// The node's transport actor, as the supervisor and the introspector see it: the frames
// themselves go through NetworkModel::send (one sent to it goes there too).
struct SimNetworkState {
    NetworkModelPtr model;
    actors::ActorStats stats;
    static inline const char* name = "sim_network";
};
caf::behavior sim_network(caf::stateful_actor<SimNetworkState>* self, NetworkModelPtr model);

}  // namespace raftor::sim

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(raftor::sim::NetworkModelPtr)
