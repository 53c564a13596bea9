#pragma once
// How the gateway answers what it asked the peer: shared by the gateway's request files.
#include "actors/http_gateway.hpp"
#include "runtime/http/errors.hpp"

namespace raftor::actors {

using GatewaySelf = Gateway::stateful_base<GatewayState>;

// What the health endpoints and metrics say, from the peer's status.
inline http::NodeView view_of(const PeerStatus& s, const Directory& dir) {
    http::NodeView v;
    v.started = true;
    v.node = dir.get(s.id).name;
    v.role = raft::to_string(s.role);
    v.term = s.term;
    v.leader = s.leader == 0 ? "" : dir.get(s.leader).name;
    v.commit_index = s.commit;
    v.applied_index = s.applied;
    v.last_index = s.last_index;
    v.replication_lag_ms = s.replication_lag_ms;
    bool all_have_all = true;
    auto add = [&](raft::NodeId id, bool voter) {
        const auto e = dir.get(id);
        http::MemberView m{e.name, id, e.peer_address, e.http_address, voter, e.https_address};
        if (s.role == raft::Role::leader) {
            if (id == s.id) {
                m.match_index = s.last_index;
                m.lag_entries = 0;
                m.lag_ms = 0;
            }
            for (const auto& p : s.progress) {
                if (p.id != id) continue;
                m.match_index = p.match;
                m.lag_entries = s.last_index > p.match ? s.last_index - p.match : 0;
                m.lag_ms = p.lag_ms;
                if (p.match < s.last_index) all_have_all = false;
            }
        }
        v.members.push_back(std::move(m));
    };
    for (auto id : s.conf.voters) add(id, true);
    for (auto id : s.conf.learners) add(id, false);
    // A follower cannot see the others: it says whether it is itself caught up.
    v.replicated = s.role == raft::Role::leader ? all_have_all : (s.leader != 0 && s.applied >= s.commit);
    v.member = s.conf.is_member(s.id);
    v.storage_full = s.storage_full;
    v.storage_full_reason = s.storage_full_reason;
    return v;
}

inline void reply(const ReplyPtr& r, http::Response resp) {
    (*r)(std::move(resp));
}

inline http::Response timed_out(const caf::error& e, const std::string& what) {
    if (e == caf::sec::request_timeout)
        return http::unavailable("timeout", "request timed out",
                                 what + " did not complete in time (is a quorum of the cluster up?)");
    return http::unavailable("unavailable", "node unavailable", what + ": " + caf::to_string(e));
}

// The stages of a write this node took as leader that the gateway can see: its queue
// before the proposal, the apply after the commit, and the answer after the apply.
inline void time_write_stages(GatewaySelf* self, const GatewaySetupPtr& setup, const http::Request& req,
                              const node::Completion& c) {
    if (!setup->counters || c.proposed_ns == 0 || c.committed_ns == 0 || c.applied_ns == 0) return;
    const std::int64_t now = ActorStats::steady_ns(self->clock().now());
    if (req.received_ns != 0)
        setup->counters->observe_stage(metrics::WriteStage::gateway_queue, c.proposed_ns - req.received_ns);
    setup->counters->observe_stage(metrics::WriteStage::commit_to_apply, c.applied_ns - c.committed_ns);
    setup->counters->observe_stage(metrics::WriteStage::apply_to_answer, now - c.applied_ns);
}

// Registers a request to the peer, answered by its deadline (setup->request_timeout)
// unless the peer answers first: the caller's handlers claim() before they answer.
AwaitedPtr await_peer(GatewaySelf* self, const GatewaySetupPtr& setup, ReplyPtr out, bool write);
// Answers the requests whose deadline passed (tick_atom).
void sweep_awaited(GatewaySelf* self, const GatewaySetupPtr& setup);
// A write the peer did not answer in time: it may still apply.
http::Response write_timed_out(const GatewaySetupPtr& setup);

// Sends a write to the peer. An applied one is rendered by `done`; the other outcomes
// read the same for every kind of write.
template <class... Msg>
void send_write(GatewaySelf* self, const GatewaySetupPtr& setup, RequestPtr req, const http::Routed& routed,
                ReplyPtr out, std::function<void(const node::Completion&)> done, Msg... msg) {
    // Another member leads: straight there, not first through this node's peer. A
    // request forwarded to us already asks the peer, which answers with what it knows.
    if (setup->leader_elsewhere && !routed.forwarded)
        if (const raft::NodeId l = setup->leader_elsewhere->load(std::memory_order_relaxed); l != 0) {
            const auto leader = setup->directory->get(l);
            if (!leader.forward_to.empty())
                return reply(out, http::not_leader(*req, routed.may_proxy(), leader.name, leader.forward_to,
                                                   setup->directory->tls()));
        }
    // The handlers keep what they need, not the routed request (about 1 KB, copied into
    // each handler: a large allocation per write).
    const bool proxy = routed.may_proxy();
    auto awaited = await_peer(self, setup, out, true);
    self->request(setup->peer, caf::infinite, msg...)
        .then(
            [=](CompletionPtr c) {
                if (!awaited->claim()) return;  // the deadline answered
                switch (c->outcome) {
                    case node::Outcome::done: time_write_stages(self, setup, *req, *c); return done(*c);
                    case node::Outcome::invalid: return reply(out, http::invalid(c->detail));
                    case node::Outcome::no_space:
                        return reply(out, http::error_response(507, "storage_full", "storage full", c->detail,
                                                               {{"Retry-After", "5"}}));
                    case node::Outcome::overloaded:
                        return reply(out, http::error_response(503, "overloaded", "too many writes in flight",
                                                               c->detail, {{"Retry-After", "1"}}));
                    case node::Outcome::conflict:
                        return reply(out, http::error_response(409, "conflict", "refused for now", c->detail,
                                                               {{"Retry-After", "1"}}));
                    case node::Outcome::refused:
                        return reply(out, http::error_response(409, "refused", "refused", c->detail));
                    case node::Outcome::unknown: return reply(out, http::outcome_unknown(c->detail));
                    case node::Outcome::not_leader: {
                        const auto leader = setup->directory->get(c->leader_hint);
                        return reply(out, http::not_leader(*req, proxy, c->leader_hint ? leader.name : "",
                                                           leader.forward_to, setup->directory->tls()));
                    }
                }
            },
            [=](caf::error& e) {
                if (awaited->claim()) reply(out, timed_out(e, "the write"));
            });
}

}  // namespace raftor::actors
