#pragma once
#include <atomic>
#include <caf/all.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>

#include "actors/introspection.hpp"
#include "actors/messages.hpp"
#include "actors/peer_protocol.hpp"
#include "actors/state_machine.hpp"
#include "actors/storage.hpp"
#include "actors/wall_clock.hpp"
#include "runtime/node/applier.hpp"
#include "runtime/node/peer_core.hpp"
#include "runtime/node/replication_lag.hpp"

namespace raftor::actors {

// The simulator's and tests' window on a peer (null on a node): it sees the core after
// every message that reached it, and each Ready before the peer carries it out.
struct PeerObserver {
    virtual ~PeerObserver() = default;
    virtual void stepped(const raft::Raft& core) = 0;
    virtual void ready(const raft::Raft& core, const raft::Ready& rd) = 0;
};

// Everything a peer starts from (assembled by the node, or by a test).
struct PeerSetup {
    raft::Config config;
    raft::Restore restore;
    node::Options options;
    std::size_t min_voters = 1;  // raft.minClusterSize
    std::shared_ptr<storage::Store> store;
    std::shared_ptr<storage::StateStore> state_store;  // the state's tables (null: in memory)
    bool resume_state = false;  // the store holds the state through restore.applied: open it as it stands
    caf::actor transport;
    // Hands frames (addressee, bytes) straight to the thread-safe network, without a hop
    // through the transport actor. Null (the simulator, tests): they go to `transport`.
    std::function<void(std::vector<std::pair<raft::NodeId, std::string>>&&)> send_frames;
    std::chrono::milliseconds tick{15};
    WallClock wall = system_wall_clock();  // for operators: when storage last flushed
    // The storage actor blocks in fsync, and the state machine encodes whole snapshots:
    // on threads of their own they stall no other actor (on a node, the event loop).
    // Deterministic simulations turn this off so everything runs on the test scheduler.
    bool own_threads = true;
    std::map<raft::NodeId, std::string> names;  // for logs: member names by raft id
    // A member learned at run time (from a conf-change entry or the state's registry):
    // the node tells its directory and transport where it is. May be null (tests).
    std::function<void(const state::MemberInfo&)> on_member;
    // Whether peer `id` names a message's sender and addressee from the link it came on
    // (it speaks peer protocol 2): they are then left out of what is sent to it. May be
    // null (tests, the simulator): always sent.
    std::function<bool(raft::NodeId)> ids_implied;
    caf::actor introspector;  // may be null (tests)
    // Told of each child the peer spawns (storage, state machine, timer), with its name:
    // the simulator schedules by it. May be null.
    std::function<void(const std::string& name, const caf::actor& who)> spawned;
    std::shared_ptr<PeerObserver> observer;  // may be null (a node)
    metrics::CountersPtr counters;           // may be null (tests, the simulator)
    // The leader's raft id while another member leads, else 0: the gateway forwards
    // writes there without asking this peer first. May be null (tests, the simulator).
    std::shared_ptr<std::atomic<raft::NodeId>> leader_elsewhere;
};
using PeerSetupPtr = std::shared_ptr<const PeerSetup>;

struct PeerState {
    std::unique_ptr<node::PeerCore> core;
    std::shared_ptr<std::atomic<raft::NodeId>> leader_elsewhere;  // PeerSetup's
    Storage storage;
    caf::actor transport;
    StateMachine state_machine;
    struct WaitingRead {
        caf::typed_response_promise<CompletionPtr> rp;
        std::string key;
        QueryPtr query;  // set: a query, not a key read
    };
    std::map<node::Token, WaitingRead> reads;  // linearizable reads waiting for a read index
    std::vector<caf::actor> followers;         // told of leadership changes (scheduler, executor, signer)
    std::map<node::Token, caf::typed_response_promise<AdminAnswerPtr>>
        admin;                                          // transfers and step-downs, answered once over
    std::map<raft::NodeId, std::string> names;          // member names by raft id: the setup's, and those learned
    std::shared_ptr<std::atomic<raft::Index>> applied;  // as the state machine publishes it
    std::uint64_t frames_rejected = 0;
    // This leader's proposals by index: when proposed and when durable here (steady ns,
    // 0: not yet), for the write stage histograms; gone once committed.
    struct StageMark {
        std::int64_t proposed_ns = 0, persisted_ns = 0;
    };
    std::map<raft::Index, StageMark> stage_marks;
    raft::Index stage_persisted = 0;  // marks up to here have their persisted_ns
    // When a refused frame from each sender was last logged: at most once a minute each.
    std::map<raft::NodeId, caf::actor_clock::time_point> refusal_logged;
    bool drain_wanted = false;  // inputs stepped since the last drain
    bool drain_queued = false;  // a drain_atom is in the mailbox
    std::shared_ptr<PeerObserver> observer;
    ActorStats stats;

    // What was last logged, so each role, term, leader and membership change is logged once.
    raft::Role logged_role = raft::Role::follower;
    raft::Term logged_term = 0;
    raft::NodeId logged_leader = 0;
    bool logged_cluster_started = false;  // the first leader this process saw
    raft::ConfState logged_conf;

    node::ReplicationLag lag;
    caf::actor_clock::time_point leader_heard{};  // follower: last frame from the leader
    std::chrono::milliseconds heartbeat{0};       // how often a leader is heard from when all is well

    metrics::CountersPtr counters;

    static inline const char* name = "raft_peer";
};

// Owns the node's PeerCore; spawns (and links) its storage actor, election timer and
// state machine. Feeds the core every input through PeerCore::step (ticks, peer frames,
// durability reports, client and operator requests), and carries out the Effects that
// come back: persist, send, hand committed entries to the state machine (which answers
// the clients), answer operators, tell the operations actors who leads. It decides
// nothing itself.
Peer::behavior_type raft_peer(Peer::stateful_pointer<PeerState> self, PeerSetupPtr setup);

}  // namespace raftor::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(raftor::actors::PeerSetupPtr)
