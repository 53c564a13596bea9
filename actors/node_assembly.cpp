#include "actors/node_assembly.hpp"

#include "actors/introspector.hpp"
#include "actors/messages.hpp"

namespace raftor::actors {

NodeActors assemble_node(caf::actor_system& sys, NodeSpec spec, NodeEnvironment env) {
    NodeActors out;
    auto spawned = [&](const std::string& name, const std::string& kind, const caf::actor& who) {
        join(out.introspector, name, kind, who);
        if (env.spawned) env.spawned(name, who);
    };
    out.introspector = caf::actor_cast<caf::actor>(sys.spawn(introspector, spec.introspect_timeout, env.wall));
    if (env.spawned) env.spawned("introspector", out.introspector);
    spawned("transport", "transport", env.transport);

    // ---- consensus: the peer, with its storage, state machine and election timer
    auto peer = std::make_shared<PeerSetup>(std::move(spec.peer));
    peer->config.seed = env.seed;
    peer->wall = env.wall;
    peer->store = env.store;
    peer->state_store = env.state_store;
    peer->transport = env.transport;
    peer->send_frames = env.send_frames;
    peer->own_threads = env.own_threads;
    peer->introspector = out.introspector;
    peer->spawned = env.spawned;
    peer->observer = env.observer;
    const auto counters = peer->counters;
    const Peer typed_peer = sys.spawn(raft_peer, PeerSetupPtr(peer));
    Executor typed_executor;  // none without the operations half
    out.peer = caf::actor_cast<caf::actor>(typed_peer);
    spawned("raft_peer", "consensus", out.peer);

    // ---- the operations actors follow the state machine and act on the leader
    if (spec.operations) {
        auto exec = std::make_shared<ExecutorSetup>(std::move(spec.executor));
        exec->peer = typed_peer;
        exec->node_name = spec.name;
        exec->wall = env.wall;
        exec->runner = env.runner;
        typed_executor = sys.spawn(executor, ExecutorSetupPtr(exec));
        out.executor = caf::actor_cast<caf::actor>(typed_executor);
        auto sched = std::make_shared<SchedulerSetup>(std::move(spec.scheduler));
        sched->peer = typed_peer;
        sched->wall = env.wall;
        out.scheduler = caf::actor_cast<caf::actor>(sys.spawn(scheduler, SchedulerSetupPtr(sched)));
        auto signer = std::make_shared<SignerSetup>(std::move(spec.signer));
        signer->peer = typed_peer;
        signer->node_name = spec.name;
        signer->wall = env.wall;
        out.signer = caf::actor_cast<caf::actor>(sys.spawn(receipt_signer, SignerSetupPtr(signer)));
        for (const auto& [name, a, interests] :
             {std::tuple<const char*, caf::actor, std::uint8_t>{"executor", out.executor, runnable_changed},
              {"scheduler", out.scheduler, schedules_changed},
              {"receipt_signer", out.signer, receipts_changed}}) {
            spawned(name, name, a);
            caf::anon_send(typed_peer, subscribe_atom::value, a, interests);
        }
    }

    // ---- the HTTP gateway: stateless, so the supervisor replaces one that fails
    out.board = std::make_shared<SelfCheckBoard>();
    auto gw = std::make_shared<GatewaySetup>(std::move(spec.gateway));
    gw->peer = typed_peer;
    gw->executor = typed_executor;
    gw->wall = env.wall;
    gw->started = sys.clock().now();
    gw->introspector = out.introspector;
    gw->node_name = spec.name;
    gw->min_voters = peer->min_voters;
    gw->counters = counters;
    gw->leader_elsewhere = peer->leader_elsewhere;
    gw->request_stop = env.request_stop;
    gw->self_check = [board = out.board] { return board->get(); };
    auto spawn_gateway = [&sys, gw = GatewaySetupPtr(gw), peer = typed_peer, intro = out.introspector,
                          hook = env.spawned] {
        auto g = caf::actor_cast<caf::actor>(sys.spawn(http_gateway, gw));
        join(intro, "http_gateway", "gateway", g);
        if (hook) hook("http_gateway", g);
        caf::anon_send(peer, subscribe_atom::value, g,  // ?wait=true hears of finished executions
                       std::uint8_t{runnable_changed});
        return g;
    };
    out.gateway = env.gateway ? env.gateway : std::make_shared<GatewayHandle>();
    out.gateway->set(spawn_gateway());

    // ---- the supervisor: restarts a failed gateway, stops a node whose peer or
    // transport failed, and runs the periodic self-check
    auto sup = std::make_shared<SupervisorSetup>(std::move(spec.supervisor));
    sup->peer = out.peer;
    sup->transport = env.transport;
    sup->gateway = out.gateway;
    sup->spawn_gateway = spawn_gateway;
    sup->stop_node = env.stop_node;
    sup->wall = env.wall;
    sup->fs = env.fs;
    sup->board = out.board;
    sup->counters = counters;
    // On a node: detached, so the self-check's synced write holds no scheduler thread.
    out.supervisor =
        caf::actor_cast<caf::actor>(env.own_threads ? sys.spawn<caf::detached>(supervisor, SupervisorSetupPtr(sup))
                                                    : sys.spawn(supervisor, SupervisorSetupPtr(sup)));
    spawned("supervisor", "supervision", out.supervisor);
    return out;
}

}  // namespace raftor::actors
