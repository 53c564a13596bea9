#include "sim/workload.hpp"

namespace raftor::sim {

namespace {

using go_atom = caf::atom_constant<caf::atom("go")>;

struct ClientHooks {
    Workload* workload;
    std::uint64_t id;
};
using ClientPtr = std::shared_ptr<const ClientHooks>;

}  // namespace
}  // namespace raftor::sim

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(raftor::sim::ClientPtr)

namespace raftor::sim {

namespace {

// One client: a request, its answer (or a timeout), a pause, the next request. Like an
// HTTP client of the gateway, it asks the node it believes leads and follows the hint.
caf::behavior sim_client(caf::event_based_actor* self, ClientPtr hooks) {
    Workload* w = hooks->workload;
    const std::uint64_t id = hooks->id;
    auto again = [=] {
        const std::uint64_t think = 1 + w->cluster().rng().below(w->options().think_max_us);
        self->delayed_send(self, std::chrono::microseconds(think), go_atom::value);
    };
    return {
        [=](go_atom) {
            if (w->stopped()) return;
            Workload::Request req = w->next(id);
            if (req.node == 0) {  // no node is up
                again();
                return;
            }
            const caf::actor peer = w->cluster().peer(req.node);
            const auto& o = w->options();
            const auto timeout = std::chrono::microseconds(
                o.timeout_min_us + w->cluster().rng().below(o.timeout_max_us - o.timeout_min_us + 1));
            auto done = [=](const actors::CompletionPtr& c) {
                w->completed(id, req, c.get(), false);
                again();
            };
            auto lost = [=](caf::error&) {
                w->completed(id, req, nullptr, true);
                again();
            };
            if (req.op.kind == KvOp::Kind::get)
                self->request(peer, timeout, actors::read_atom::value, req.op.key, false).then(done, lost);
            else
                self->request(peer, timeout, actors::write_atom::value, req.cmd).then(done, lost);
        },
    };
}

}  // namespace

Workload::Workload(ActorCluster& cluster, WorkloadOptions opts) : cluster_(cluster), opts_(opts) {}

Workload::~Workload() {
    for (const auto& c : clients_) cluster_.kill_now(c);
}

void Workload::start() {
    stopped_ = false;
    while (clients_.size() < opts_.clients) {
        const std::uint64_t id = clients_.size() + 1;
        clients_.push_back(cluster_.system().spawn(sim_client, ClientPtr(new ClientHooks{this, id})));
        cluster_.watch(clients_.back());
        caf::anon_send(clients_.back(), go_atom::value);
    }
}

raft::NodeId Workload::pick_node(std::uint64_t client) {
    const raft::NodeId hint = leader_of_[client];
    // Mostly the node it believes leads; now and then any node, as a load balancer would.
    if (hint != 0 && cluster_.up(hint) && cluster_.rng().below(10) != 0) return hint;
    std::vector<raft::NodeId> up;
    for (raft::NodeId id = 1; id <= cluster_.size(); ++id)
        if (cluster_.up(id)) up.push_back(id);
    return up.empty() ? 0 : up[cluster_.rng().below(up.size())];
}

Workload::Request Workload::next(std::uint64_t client) {
    Request r;
    r.node = pick_node(client);
    if (r.node == 0) return r;
    raft::Rng& rng = cluster_.rng();
    KvOp& op = r.op;
    op.client = client;
    op.key = "k" + std::to_string(rng.below(opts_.keys));
    op.invoke = cluster_.now_us();
    const std::uint64_t roll = rng.below(100);
    // A write's kind, on the default mix's scale (40 and above are writes).
    const std::uint64_t dice =
        roll < opts_.read_percent ? 0 : 40 + (roll - opts_.read_percent) * 60 / (100 - opts_.read_percent);
    if (roll < opts_.read_percent) {
        op.kind = KvOp::Kind::get;
    } else {
        r.cmd.key = op.key;
        if (dice < 80) {
            op.kind = KvOp::Kind::put;
        } else if (dice < 88) {
            op.kind = KvOp::Kind::del;
            r.cmd.op = state::KvCommand::Op::del;
        } else {
            // Compare-and-set against the latest version any client has seen of the key.
            op.kind = KvOp::Kind::cas;
            auto it = latest_.find(op.key);
            const std::uint64_t rev = it == latest_.end() ? 0 : it->second.first;
            op.expected = it == latest_.end() ? std::nullopt : it->second.second;
            r.cmd.prev_revision = rev;
        }
        if (op.kind != KvOp::Kind::del) {
            op.value = "v" + std::to_string(++next_value_) + std::string(opts_.value_padding, '.');
            r.cmd.value = *op.value;
        }
    }
    ++in_flight_;
    return r;
}

void Workload::completed(std::uint64_t client, Request req, const node::Completion* c, bool lost) {
    --in_flight_;
    KvOp& op = req.op;
    op.complete = cluster_.now_us();
    const bool read = op.kind == KvOp::Kind::get;
    std::string outcome;
    const std::size_t recorded_before = history_.size();
    if (lost || c->outcome == node::Outcome::unknown) {
        // No answer: a write may still apply, at any time after it was sent. A read
        // that was never answered changed nothing and is left out.
        leader_of_[client] = 0;
        outcome = lost ? "no answer" : "unknown";
        if (!read) {
            op.result = KvOp::Result::unknown;
            history_.push_back(std::move(op));
            ++counts_.unknown;
        }
    } else if (c->outcome == node::Outcome::not_leader) {
        leader_of_[client] = c->leader_hint <= cluster_.size() ? c->leader_hint : 0;
        ++counts_.refused;
        outcome = "not leader";
    } else if (c->outcome == node::Outcome::invalid) {
        ++counts_.invalid;  // the workload only sends valid requests
        outcome = "invalid: " + c->detail;
    } else if (c->outcome == node::Outcome::no_space || c->outcome == node::Outcome::conflict ||
               c->outcome == node::Outcome::refused || c->outcome == node::Outcome::overloaded) {
        // Refused before it reached the log (a leader out of storage): it changed nothing.
        leader_of_[client] = 0;
        ++counts_.refused;
        outcome = std::string("refused: ") + node::to_string(c->outcome);
    } else {
        leader_of_[client] = req.node;
        if (read) {
            op.observed = c->value ? std::optional<std::string>(c->value->value) : std::nullopt;
            latest_[op.key] = {c->value ? c->value->revision : 0, op.observed};
            op.result = KvOp::Result::ok;
        } else if (c->result.ok) {
            op.result = KvOp::Result::ok;
            latest_[op.key] = {op.kind == KvOp::Kind::del ? 0 : c->result.revision, op.value};
            ++counts_.writes_ok;
            last_acked_write_invoke_ = std::max(last_acked_write_invoke_, op.invoke);
        } else {
            op.result = KvOp::Result::failed;  // the compare-and-set's precondition did not hold
        }
        (op.result == KvOp::Result::ok ? counts_.ok : counts_.failed)++;
        history_.push_back(std::move(op));
        outcome = op.result == KvOp::Result::ok ? "ok" : "failed";
    }
    if (cluster_.tracing()) {
        // A recorded op as the checker sees it; one left out, by what was asked.
        const bool recorded = history_.size() > recorded_before;
        std::string what = recorded ? describe(history_.back())
                                    : "client " + std::to_string(client) + " " +
                                          (read                         ? "get"
                                           : op.kind == KvOp::Kind::del ? "del"
                                                                        : "write") +
                                          " " + op.key;
        cluster_.trace_line("node " + std::to_string(req.node) + " -> " + what + ": " + outcome);
    }
}

}  // namespace raftor::sim
