#include "actors/supervisor.hpp"

#include <chrono>

#include "actors/messages.hpp"
#include "actors/timeouts.hpp"
#include "runtime/log/log.hpp"
#include "runtime/storage/probe.hpp"

namespace raftor::actors {

namespace {

// Runs the self-check now: probes, judges (runtime/node/self_check), publishes, and
// logs each check that changes verdict.
void self_check(Supervisor::stateful_pointer<SupervisorState> self, const SupervisorSetup& setup) {
    auto& st = self->state;
    node::SelfCheckInput in;
    if (!setup.data_dir.empty()) in.storage_error = storage::probe_writable(*setup.fs, setup.data_dir);
    if (setup.peers) std::tie(in.peers_connected, in.peers) = setup.peers();
    in.wall_ms = setup.wall();
    in.steady_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(self->clock().now().time_since_epoch()).count();
    if (st.last.done) {
        in.prev_wall_ms = st.last.at_wall_ms;
        in.prev_steady_ms = st.last_steady_ms;
    }
    node::SelfCheck c = node::evaluate(in, st.last.runs);
    const bool first = !st.last.done;
    auto verdict = [&](const char* check, bool before, bool now, const std::string& detail) {
        if (!now && (first || before))
            logging::warn("self_check_failed", {{"check", check}, {"detail", detail}});
        else if (now && !first && !before)
            logging::info("self_check_passed", {{"check", check}});
    };
    verdict("storage", st.last.storage, c.storage, c.storage_detail);
    verdict("peers", st.last.peers, c.peers, c.peers_detail);
    verdict("clock", st.last.clock, c.clock, c.clock_detail);
    if (setup.counters) {
        metrics::bump(setup.counters->self_check_runs);
        setup.counters->self_check_ok[0].store(c.storage ? 1 : 0, std::memory_order_relaxed);
        setup.counters->self_check_ok[1].store(c.peers ? 1 : 0, std::memory_order_relaxed);
        setup.counters->self_check_ok[2].store(c.clock ? 1 : 0, std::memory_order_relaxed);
    }
    if (setup.board) setup.board->set(c);
    st.last = std::move(c);
    st.last_steady_ms = in.steady_ms;
}

}  // namespace

Supervisor::behavior_type supervisor(Supervisor::stateful_pointer<SupervisorState> self, SupervisorSetupPtr setup) {
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
    // The first check once the node had a moment to connect to its peers.
    const auto interval = std::chrono::milliseconds(setup->check_interval_ms);
    self->delayed_send(self, std::min(interval, timeouts::first_self_check), selfcheck_atom::value);
    return {
        [=](selfcheck_atom) {
            self->state.stats.note(self, "selfcheck");
            if (self->state.stopping) return;
            self_check(self, *setup);
            self->delayed_send(self, interval, selfcheck_atom::value);
        },
        [=](status_atom) -> int {
            self->state.stats.note(self, "status");
            return self->state.gateway_restarts;
        },
        [=](inspect_atom) -> ReportPtr {
            return report_of(self, self->state.stats, "supervisor", "supervision",
                             {{"gatewayRestarts", std::to_string(self->state.gateway_restarts)},
                              {"stopping", self->state.stopping ? "true" : "false"},
                              {"selfChecks", std::to_string(self->state.last.runs)},
                              {"selfCheckOk", self->state.last.ok() ? "true" : "false"}});
        },
    };
}

}  // namespace raftor::actors
