#pragma once
#include <caf/all.hpp>
#include <chrono>
#include <map>
#include <memory>

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
};
using PeerSetupPtr = std::shared_ptr<const PeerSetup>;

struct PeerState {
    std::unique_ptr<node::Replica> replica;
    caf::actor storage;
    caf::actor transport;
    std::map<node::Token, caf::response_promise> waiting;
    node::Token next_token = 1;
    std::uint64_t frames_rejected = 0;
    static inline const char* name = "raft_peer";
};

// Owns the node's Replica; spawns (and links) its storage actor and election timer.
// Feeds it ticks, peer frames, durability reports and client requests, and carries
// out what comes back. It decides nothing itself.
caf::behavior raft_peer(caf::stateful_actor<PeerState>* self, PeerSetupPtr setup);

}  // namespace raftor::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(raftor::actors::PeerSetupPtr)
