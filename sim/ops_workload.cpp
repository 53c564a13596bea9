#include "sim/ops_workload.hpp"

#include "runtime/state/ops_command.hpp"

namespace raftor::sim {

namespace {

using go_atom = caf::atom_constant<caf::atom("go")>;

// The workload goes to the actor as a spawn argument, never in a message.
caf::behavior sim_operator(caf::event_based_actor* self, OpsWorkload* w) {
    auto again = [=] {
        const auto& o = w->options();
        const std::uint64_t think = o.think_min_us + w->cluster().rng().below(o.think_max_us - o.think_min_us + 1);
        self->delayed_send(self, std::chrono::microseconds(think), go_atom::value);
    };
    return {
        [=](go_atom) {
            if (w->stopped()) return;
            OpsWorkload::Request req = w->next();
            if (req.node == 0) return again();  // no node is up
            self->request(w->cluster().peer(req.node), std::chrono::microseconds(w->options().timeout_us),
                          actors::propose_atom::value, req.command)
                .then(
                    [=](const actors::CompletionPtr& c) {
                        w->completed(req, c.get());
                        again();
                    },
                    [=](caf::error&) {
                        w->completed(req, nullptr);
                        again();
                    });
        },
    };
}

state::OperationSpec spec(std::string id, state::Handler::Kind kind) {
    state::OperationSpec s;
    s.id = s.name = std::move(id);
    s.handler.kind = kind;
    return s;
}

}  // namespace

// Handlers of every kind: the built-ins, processes (shell and exec) and HTTP calls,
// whose durations and ends the simulated world decides (sim_handlers.hpp).
std::vector<state::OperationSpec> OpsWorkload::operations() {
    using K = state::Handler::Kind;
    std::vector<state::OperationSpec> out;
    auto& tick = out.emplace_back(spec("tick", K::noop));  // every second, nothing to it
    tick.schedule = "@every 1s";
    auto& crunch = out.emplace_back(spec("crunch", K::shell));  // cron with seconds, a process that takes a while
    crunch.schedule = "*/3 * * * * *";
    crunch.handler.command = "echo crunching; sleep 0.7";
    crunch.timeout_ms = 2'000;
    auto& hang = out.emplace_back(spec("hang", K::shell));  // hangs: every try times out, and is retried once
    hang.schedule = "@every 4s";
    hang.handler.command = "echo started; hang";
    hang.timeout_ms = 800;
    hang.retries = 1;
    hang.retry_backoff_ms = 300;
    auto& exclusive = out.emplace_back(spec("exclusive", K::exec));  // runs longer than its period
    exclusive.schedule = "@every 2s";
    exclusive.handler.argv = {"sleep", "2.5"};
    exclusive.timeout_ms = 5'000;
    exclusive.concurrency = state::Concurrency::forbid;
    auto& flaky = out.emplace_back(spec("flaky", K::shell));  // on an event: fails every try
    flaky.topics = {"deploy"};
    flaky.handler.command = "echo deploy check failed; exit 3";
    flaky.retries = 3;
    flaky.retry_backoff_ms = 200;
    flaky.retry_multiplier = 2.0;
    flaky.retry_max_backoff_ms = 500;
    flaky.retry_jitter = 0.5;
    auto& notify = out.emplace_back(spec("notify", K::http));  // on the same event, filtered; its hook is down
    notify.topics = {"deploy"};
    notify.event_filter = {{"env", "prod"}};
    notify.handler.url = "http://hooks.sim/status/503";
    notify.retries = 1;
    notify.retry_backoff_ms = 100;
    auto& report = out.emplace_back(spec("report", K::sleep));  // by hand; abandoned when its leader is lost
    report.handler.sleep_ms = 200;
    report.timeout_ms = 1'000;
    report.on_leader_loss = state::OnLeaderLoss::abandon;
    return out;
}

OpsWorkload::OpsWorkload(ActorCluster& cluster, OpsWorkloadOptions opts)
    : cluster_(cluster), opts_(opts), specs_(operations()) {}

OpsWorkload::~OpsWorkload() {
    if (operator_) cluster_.kill_now(operator_);
}

void OpsWorkload::start() {
    stopped_ = false;
    if (operator_) return;
    operator_ = cluster_.system().spawn(sim_operator, this);
    cluster_.watch(operator_);
    caf::anon_send(operator_, go_atom::value);
}

OpsWorkload::Request OpsWorkload::next() {
    Request r;
    raft::Rng& rng = cluster_.rng();
    if (leader_hint_ != 0 && cluster_.up(leader_hint_) && rng.below(10) != 0) {
        r.node = leader_hint_;
    } else {
        std::vector<raft::NodeId> up;
        for (raft::NodeId id = 1; id <= cluster_.size(); ++id)
            if (cluster_.up(id)) up.push_back(id);
        if (up.empty()) return r;
        r.node = up[rng.below(up.size())];
    }
    state::OpsCommand cmd;
    cmd.at_ms = cluster_.wall_ms(r.node);
    if (counts_.defined < specs_.size()) {
        r.kind = Request::Kind::define;
        cmd.body = state::PutOperation{specs_[counts_.defined], true};
    } else if (rng.below(3) != 0) {
        r.kind = Request::Kind::event;
        cmd.body = state::PublishEvent{"deploy", rng.below(2) ? R"({"env":"prod"})" : R"({"env":"dev"})"};
    } else {
        r.kind = Request::Kind::run;
        cmd.body = state::ExecuteOperation{"report", "by hand"};
    }
    r.command = state::encode_ops_command(cmd);
    in_flight_ = true;
    return r;
}

void OpsWorkload::completed(const Request& req, const node::Completion* c) {
    in_flight_ = false;
    using O = node::Outcome;
    if (c == nullptr || c->outcome == O::unknown) {
        leader_hint_ = 0;
        ++counts_.unknown;
        return;
    }
    if (c->outcome == O::not_leader) {
        leader_hint_ = c->leader_hint <= cluster_.size() ? c->leader_hint : 0;
        ++counts_.refused;
        return;
    }
    if (c->outcome != O::done) {
        leader_hint_ = 0;
        if (c->outcome == O::invalid) {
            ++counts_.rejected;
            counts_.problems.push_back(std::string("invalid: ") + c->detail);
        } else {
            ++counts_.refused;
        }
        return;
    }
    leader_hint_ = req.node;
    using C = state::OpsResult::Code;
    const C code = c->ops.code;
    if (req.kind == Request::Kind::define && (code == C::ok || code == C::exists)) {
        ++counts_.defined;
    } else if (code != C::ok) {
        ++counts_.rejected;
        counts_.problems.push_back(std::string(state::to_string(code)) + ": " + c->ops.detail);
    } else if (req.kind == Request::Kind::event) {
        ++counts_.events;
    } else if (req.kind == Request::Kind::run) {
        ++counts_.runs;
    }
}

}  // namespace raftor::sim
