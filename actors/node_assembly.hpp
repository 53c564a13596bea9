#pragma once
// One node's actors, spawned and wired the same way wherever they run: by `raftor node`
// on real clocks, disk, TCP and processes, and by the simulator on simulated ones. What
// differs is only what the caller injects:
//  - NodeSpec: what the configuration decides (each actor's settings);
//  - NodeEnvironment: the world the node runs in (wall clock, randomness, storage, the
//    file system the self-check probes, the network, the handlers' processes and HTTP
//    calls, whether actors may have threads of their own, and the hooks through which
//    the caller hears of the node).
// The monotonic clock is the actor system's: the system's steady clock on a node, the
// simulator's time under its deterministic scheduler.
#include <caf/all.hpp>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "actors/executor.hpp"
#include "actors/http_gateway.hpp"
#include "actors/raft_peer.hpp"
#include "actors/receipt_signer.hpp"
#include "actors/scheduler.hpp"
#include "actors/supervisor.hpp"
#include "actors/wall_clock.hpp"
#include "runtime/storage/file_system.hpp"

namespace raftor::actors {

struct NodeSpec {
    std::string name;
    // Settings only: the assembly fills in every reference between actors, the clocks
    // and whatever the environment provides.
    PeerSetup peer;
    ExecutorSetup executor;
    SchedulerSetup scheduler;
    SignerSetup signer;
    GatewaySetup gateway;
    SupervisorSetup supervisor;
    std::chrono::milliseconds introspect_timeout{1000};  // an actor that takes longer is shown stuck
    // The scheduler, executor and receipt signer. Off only in the simulator's runs of
    // Raft and the key-value store alone.
    bool operations = true;
};

struct NodeEnvironment {
    WallClock wall = system_wall_clock();  // replicated timestamps, retry waits, the self-check's clock test
    std::uint64_t seed = 0;                // the Raft core's randomness
    std::shared_ptr<storage::Store> store;
    // Where the state machine keeps the replicated state's tables (null: in memory).
    std::shared_ptr<storage::StateStore> state_store;
    storage::FileSystem* fs = &storage::posix_file_system();  // what the self-check probes
    caf::actor transport;  // frames out (the caller registers the peer for frames in)
    // Frames straight to a thread-safe network, without a hop through `transport` (may be null).
    std::function<void(std::vector<std::pair<raft::NodeId, std::string>>&&)> send_frames;
    // Storage and the supervisor's synced probe block: on a node they get threads of
    // their own. A deterministic simulation runs everything on its one scheduler.
    bool own_threads = true;
    // Every actor of the node as it is spawned, with the name it joins the introspector
    // under (the simulator schedules by it). May be null.
    std::function<void(const std::string& name, const caf::actor& who)> spawned;
    std::shared_ptr<PeerObserver> observer;  // the simulator's checkers (null on a node)
    // Runs the handlers that take their time outside the node (processes, HTTP calls):
    // on a node each on a thread of its own, in the simulator on its simulated clock.
    HandlerRunner runner = detached_runner();
    // The supervisor found the node unable to go on (its peer or transport stopped).
    std::function<void(const std::string& why)> stop_node;
    std::function<void()> request_stop;  // POST /shutdown: the graceful stop SIGTERM makes
    // Where the HTTP server finds the current gateway: made before the actors, so that
    // the probes answer while the node starts. Made here when null.
    std::shared_ptr<GatewayHandle> gateway;
};

struct NodeActors {
    caf::actor introspector, peer, executor, scheduler, signer, supervisor;
    std::shared_ptr<GatewayHandle> gateway;  // the current HTTP gateway (the supervisor replaces a failed one)
    std::shared_ptr<SelfCheckBoard> board;   // the last self-check, for /health
    // Every actor above but the peer, the introspector and the supervisor, for a graceful
    // stop (null ones left out).
    std::vector<caf::actor> followers() const {
        std::vector<caf::actor> out;
        for (const auto& a : {gateway->get(), executor, scheduler, signer})
            if (a) out.push_back(a);
        return out;
    }
};

// Throws what restoring the peer's state threw (a snapshot that does not decode).
NodeActors assemble_node(caf::actor_system& sys, NodeSpec spec, NodeEnvironment env);

}  // namespace raftor::actors
