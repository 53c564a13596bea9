#pragma once
// The node's supervisor: monitors its top-level actors. A stateless one that fails
// (the HTTP gateway) is restarted; a failure of the raft_peer (and so of its storage
// or timer, which are linked to it) or of the transport stops the whole node cleanly,
// never leaving it half alive.
#include <caf/all.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "actors/introspection.hpp"
#include "actors/messages.hpp"
#include "actors/wall_clock.hpp"
#include "runtime/metrics/live_counters.hpp"
#include "runtime/node/self_check.hpp"
#include "runtime/storage/file_system.hpp"

namespace raftor::actors {

// A value one thread replaces and others copy.
template <class T>
struct Shared {
    T get() {
        std::lock_guard<std::mutex> lock(mu_);
        return value_;
    }
    void set(T v) {
        std::lock_guard<std::mutex> lock(mu_);
        value_ = std::move(v);
    }

private:
    std::mutex mu_;
    T value_;
};

// Where the HTTP server finds the current gateway actor (replaced on a restart).
using GatewayHandle = Shared<caf::actor>;
// The last self-check, written by the supervisor and read by /health.
using SelfCheckBoard = Shared<node::SelfCheck>;

struct SupervisorSetup {
    caf::actor peer, transport;
    std::shared_ptr<GatewayHandle> gateway;
    std::function<caf::actor()> spawn_gateway;
    std::function<void(const std::string& why)> stop_node;  // called once, on a fatal failure
    int gateway_restarts_max = 10;
    // The self-check, every check_interval_ms: the data directory takes a synced write,
    // a quorum of peers is connected (peers() gives connected and total), the wall
    // clock moved as the monotonic one did.
    std::string data_dir;
    storage::FileSystem* fs = &storage::posix_file_system();  // data_dir's
    std::uint64_t check_interval_ms = 30'000;
    std::function<std::pair<std::size_t, std::size_t>()> peers;
    WallClock wall = system_wall_clock();  // the clock the check judges
    std::shared_ptr<SelfCheckBoard> board;
    std::shared_ptr<metrics::NodeCounters> counters;
};
using SupervisorSetupPtr = std::shared_ptr<const SupervisorSetup>;

struct SupervisorState {
    int gateway_restarts = 0;
    bool stopping = false;
    node::SelfCheck last;  // the previous check (its clocks, what failed)
    std::int64_t last_steady_ms = 0;
    ActorStats stats;
    static inline const char* name = "supervisor";
};

// Its protocol, checked by the compiler: its own self-check tick, how often it restarted
// the gateway, and the introspector's question. What it watches comes as down messages.
using Supervisor = caf::typed_actor<caf::reacts_to<selfcheck_atom>, caf::replies_to<status_atom>::with<int>,
                                    caf::replies_to<inspect_atom>::with<ReportPtr>>;

Supervisor::behavior_type supervisor(Supervisor::stateful_pointer<SupervisorState> self, SupervisorSetupPtr setup);

}  // namespace raftor::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(raftor::actors::SupervisorSetupPtr)
