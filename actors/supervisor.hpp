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

namespace raftor::actors {

// Where the HTTP server finds the current gateway actor (replaced on a restart).
struct GatewayHandle {
    std::mutex mu;
    caf::actor gateway;
    caf::actor get() {
        std::lock_guard<std::mutex> lock(mu);
        return gateway;
    }
    void set(caf::actor a) {
        std::lock_guard<std::mutex> lock(mu);
        gateway = std::move(a);
    }
};

struct SupervisorSetup {
    caf::actor peer, transport;
    std::shared_ptr<GatewayHandle> gateway;
    std::function<caf::actor()> spawn_gateway;
    std::function<void(const std::string& why)> stop_node;  // called once, on a fatal failure
    int gateway_restarts_max = 10;
};
using SupervisorSetupPtr = std::shared_ptr<const SupervisorSetup>;

struct SupervisorState {
    int gateway_restarts = 0;
    bool stopping = false;
    ActorStats stats;
    static inline const char* name = "supervisor";
};

caf::behavior supervisor(caf::stateful_actor<SupervisorState>* self, SupervisorSetupPtr setup);

}  // namespace raftor::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(raftor::actors::SupervisorSetupPtr)
