#pragma once
#include <caf/all.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <memory>

#include "actors/introspection.hpp"
#include "actors/messages.hpp"

namespace raftor::actors {

// Everything a peer starts from (assembled by the node, or by a test).
struct PeerSetup {
    raft::Config config;
    raft::Restore restore;
    node::Options options;
    std::shared_ptr<storage::LogStore> store;
    caf::actor transport;
    std::chrono::milliseconds tick{15};
    // The storage actor blocks in fsync: on its own thread it stalls no other actor.
    // Deterministic simulations turn this off so everything runs on the test scheduler.
    bool storage_on_own_thread = true;
    std::map<raft::NodeId, std::string> names;  // for logs: member names by raft id
    caf::actor introspector;                    // may be null (tests)
};
using PeerSetupPtr = std::shared_ptr<const PeerSetup>;

struct PeerState {
    std::unique_ptr<node::Replica> replica;
    caf::actor storage;
    caf::actor transport;
    std::map<node::Token, caf::response_promise> waiting;
    node::Token next_token = 1;
    std::uint64_t frames_rejected = 0;
    bool storage_ok = true;
    bool drain_queued = false;
    ActorStats stats;  // a drain_atom is in the mailbox

    // What was last logged, so each role, term, leader and membership change is logged once.
    raft::Role logged_role = raft::Role::follower;
    raft::Term logged_term = 0;
    raft::NodeId logged_leader = 0;
    raft::ConfState logged_conf;

    // Replication lag, measured on the leader: when each run of entries was appended
    // (first index of the run, time), oldest first; and when this node became leader.
    using Time = caf::actor_clock::time_point;
    std::deque<std::pair<raft::Index, Time>> appended_at;
    raft::Index recorded_last = 0;
    Time leader_since{};
    Time leader_heard{};  // follower: last frame from the leader

    static inline const char* name = "raft_peer";
};

// Owns the node's Replica; spawns (and links) its storage actor and election timer.
// Feeds it ticks, peer frames, durability reports and client requests, and carries
// out what comes back. It decides nothing itself.
caf::behavior raft_peer(caf::stateful_actor<PeerState>* self, PeerSetupPtr setup);

}  // namespace raftor::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(raftor::actors::PeerSetupPtr)
