#include "actors/supervisor.hpp"

#include "actors/messages.hpp"
#include "runtime/log/log.hpp"

namespace raftor::actors {

caf::behavior supervisor(caf::stateful_actor<SupervisorState>* self, SupervisorSetupPtr setup) {
    self->monitor(setup->peer);
    self->monitor(setup->transport);
    self->monitor(setup->gateway->get());
    auto fatal = [=](const std::string& who, const caf::error& reason) {
        if (self->state.stopping) return;
        self->state.stopping = true;
        const std::string why = who + " stopped: " + self->system().render(reason);
        logging::error("node_failing", {{"reason", why}});
        setup->stop_node(why);
    };
    self->set_down_handler([=](caf::down_msg& dm) {
        if (dm.source == setup->peer.address()) return fatal("raft_peer", dm.reason);
        if (dm.source == setup->transport.address()) return fatal("transport", dm.reason);
        // The gateway keeps no state: a new one takes over.
        if (self->state.stopping) return;
        if (++self->state.gateway_restarts > setup->gateway_restarts_max)
            return fatal("http_gateway (restarted too often)", dm.reason);
        logging::warn("actor_restarted", {{"actor", "http_gateway"},
                                          {"reason", self->system().render(dm.reason)},
                                          {"restarts", std::to_string(self->state.gateway_restarts)}});
        caf::actor fresh = setup->spawn_gateway();
        setup->gateway->set(fresh);
        self->monitor(fresh);
    });
    return {
        [=](status_atom) {
            self->state.stats.note(self, "status");
            return self->state.gateway_restarts;
        },
        [=](inspect_atom) {
            return report_of(self, self->state.stats, "supervisor", "supervision",
                             {{"gatewayRestarts", std::to_string(self->state.gateway_restarts)},
                              {"stopping", self->state.stopping ? "true" : "false"}});
        },
    };
}

}  // namespace raftor::actors
