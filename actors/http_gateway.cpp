#include "actors/http_gateway.hpp"

#include <algorithm>
#include <utility>

#include "actors/gateway_admin.hpp"
#include "actors/gateway_replies.hpp"
#include "actors/ops_requests.hpp"
#include "actors/timeouts.hpp"
#include "runtime/http/errors.hpp"
#include "runtime/http/operations_api.hpp"
#include "runtime/log/log.hpp"
#include "runtime/metrics/exposition.hpp"
#include "runtime/metrics/host_figures.hpp"
#include "runtime/state/replay_slots.hpp"

namespace raftor::actors {

namespace {

using Self = Gateway::stateful_base<GatewayState>;

// Sends a read to the peer; a served one is rendered by `done`.
template <typename... Msg>
void send_read(Self* self, const GatewaySetupPtr& setup, ReplyPtr out,
               std::function<void(const node::Completion&)> done, Msg... msg) {
    auto awaited = await_peer(self, setup, out, false);
    self->request(setup->peer, caf::infinite, msg...)
        .then(
            [=](CompletionPtr c) {
                if (!awaited->claim()) return;  // the deadline answered
                if (c->outcome == node::Outcome::done) return done(*c);
                if (c->outcome == node::Outcome::not_leader)
                    return reply(out, http::unavailable("no_leader", "no leader",
                                                        "a linearizable read needs a leader; none is known "
                                                        "(use ?stale=true to read this node's copy)"));
                if (c->outcome == node::Outcome::overloaded)
                    return reply(out, http::error_response(503, "overloaded", "too many reads in flight", c->detail,
                                                           {{"Retry-After", "1"}}));
                reply(out, http::invalid(c->detail));
            },
            [=](caf::error& e) {
                if (awaited->claim()) reply(out, timed_out(e, "the read"));
            });
}

// Times the sweep for the oldest request still waiting, if it is not timed already.
void arm_sweep(Self* self) {
    auto& st = self->state;
    // Answered requests leave from the front as they pass, so the queue holds what is
    // waiting (and what came after the oldest that still does).
    while (!st.awaiting.empty() && st.awaiting.front()->claimed) st.awaiting.pop_front();
    if (st.sweep_armed || st.awaiting.empty()) return;
    st.sweep_armed = true;
    const auto now = self->clock().now();
    const auto deadline = st.awaiting.front()->deadline;
    self->delayed_send(self, deadline > now ? deadline - now : caf::actor_clock::duration_type::zero(),
                       tick_atom::value);
}

}  // namespace

http::Response write_timed_out(const GatewaySetupPtr& setup) {
    return http::outcome_unknown("the write did not complete within " + std::to_string(setup->request_timeout.count()) +
                                 " ms (is a quorum of the cluster up?)");
}

AwaitedPtr await_peer(GatewaySelf* self, const GatewaySetupPtr& setup, ReplyPtr out, bool write) {
    auto a = std::make_shared<AwaitedAnswer>();
    a->out = std::move(out);
    a->deadline = self->clock().now() + setup->request_timeout;
    a->write = write;
    self->state.awaiting.push_back(a);
    arm_sweep(self);
    return a;
}

void sweep_awaited(GatewaySelf* self, const GatewaySetupPtr& setup) {
    auto& st = self->state;
    st.sweep_armed = false;
    const auto now = self->clock().now();
    while (!st.awaiting.empty() && (st.awaiting.front()->claimed || st.awaiting.front()->deadline <= now)) {
        const AwaitedPtr a = std::move(st.awaiting.front());
        st.awaiting.pop_front();
        if (a->claim())
            reply(a->out, a->write ? write_timed_out(setup) : timed_out(caf::sec::request_timeout, "the read"));
    }
    arm_sweep(self);
}

namespace {

// Answers every waiter whose execution is final in this node's copy (the one that
// proposed it, so it has applied it), and every waiter whose wait is over.
void look_at_waiters(Self* self, const GatewaySetupPtr& setup) {
    auto& st = self->state;
    if (st.looking) {
        st.look_again = true;
        return;
    }
    if (st.waiters.empty()) return;
    st.looking = true;
    auto ids = std::make_shared<std::vector<std::uint64_t>>();
    for (const auto& w : st.waiters) ids->push_back(w.id);
    auto found = std::make_shared<std::vector<std::optional<http::Response>>>();
    query_local(self, setup->peer,
                [ids, found](const node::Applier& a) {
                    for (auto id : *ids) found->push_back(http::execution_if_final(id, a.ops()));
                })
        .then(
            [=](CompletionPtr) {
                auto& s = self->state;
                const auto now = setup->wall();
                std::vector<ExecutionWaiter> still;
                // Waiters are only removed here, so the first ids->size() are the ones looked
                // at, in order; those that came during the look are looked at next time.
                for (std::size_t i = 0; i < s.waiters.size(); ++i) {
                    auto& w = s.waiters[i];
                    if (i < found->size() && (*found)[i])
                        reply(w.out, std::move(*(*found)[i]));
                    else if (now >= w.deadline_ms)
                        reply(w.out, http::execution_pending(w.id));
                    else
                        still.push_back(std::move(w));
                }
                s.waiters = std::move(still);
                s.looking = false;
                if (std::exchange(s.look_again, false)) look_at_waiters(self, setup);
            },
            [=](caf::error& e) {
                auto& s = self->state;
                for (auto& w : s.waiters) reply(w.out, timed_out(e, "waiting for the execution"));
                s.waiters.clear();
                s.looking = s.look_again = false;
            });
}

// POST /daemon/replay: lists the slots this node's schedules had since `since` (the
// leader's list is the one that counts: a follower's request is forwarded), proposes the
// replay, and answers with the executions it created, as GET /executions/:id shows them.
void replay(Self* self, const GatewaySetupPtr& setup, RequestPtr req, http::Routed routed, ReplyPtr out,
            http::OpsWrite call) {
    auto ops = std::make_shared<std::vector<state::ScheduledOperation>>();
    query_local(self, setup->peer,
                [ops](const node::Applier& a) {
                    for (const auto& [id, e] : a.ops().operations())
                        if (e.spec.schedule) ops->push_back({id, *e.spec.schedule, e.schedule_set_ms});
                })
        .then(
            [=](CompletionPtr) mutable {
                auto& body = std::get<state::Replay>(call.cmd.body);
                std::string error;
                auto slots = state::replay_slots(*ops, body.since_ms, call.cmd.at_ms, setup->api.zones,
                                                 state::replay_max, error);
                if (!slots) return reply(out, http::error_response(409, "refused", "replay refused", error));
                body.slots = std::move(*slots);
                send_write(
                    self, setup, req, routed, out,
                    [=](const node::Completion& c) {
                        const state::OpsResult result = c.ops;
                        if (result.code != state::OpsResult::Code::ok)
                            return reply(out, http::ops_written(call, result));
                        auto found = std::make_shared<std::vector<state::Execution>>();
                        query_local(self, setup->peer,
                                    [found, ids = result.executions](const node::Applier& a) {
                                        for (auto id : ids)
                                            if (auto e = a.ops().execution(id)) found->push_back(std::move(*e));
                                    })
                            .then([=](CompletionPtr) { reply(out, http::ops_written(call, result, *found)); },
                                  [=](caf::error&) { reply(out, http::ops_written(call, result)); });
                    },
                    propose_atom::value, state::encode_ops_command(call.cmd));
            },
            [=](caf::error& e) { reply(out, timed_out(e, "reading the schedules")); });
}

// POST /execute/:id?wait=true: waits, without polling, for the state machine to say the
// operations changed, until the execution is final or the wait is over.
void wait_final(Self* self, const GatewaySetupPtr& setup, std::uint64_t id, std::int64_t deadline_ms, ReplyPtr out) {
    auto& st = self->state;
    if (st.waiters.size() >= execution_waiters_max)
        return reply(out, http::unavailable("too_many_waiters", "too many requests waiting",
                                            std::to_string(execution_waiters_max) +
                                                " executions are waited for already; poll GET /executions/" +
                                                state::execution_id_string(id) + " instead"));
    st.waiters.push_back({id, deadline_ms, out});
    self->delayed_send(self, std::chrono::milliseconds(std::max<std::int64_t>(deadline_ms - setup->wall(), 0) + 1),
                       wake_atom::value, id, deadline_ms, out);
    look_at_waiters(self, setup);
}

// The health view's figures, as metrics: one reading of the peer's status for both.
metrics::RaftFigures raft_figures(const http::NodeView& v) {
    metrics::RaftFigures r;
    r.role = v.role;
    r.is_leader = v.role == "leader";
    r.has_leader = !v.leader.empty();
    r.term = v.term;
    r.commit_index = v.commit_index;
    r.applied_index = v.applied_index;
    r.last_index = v.last_index;
    r.replication_lag_ms = v.replication_lag_ms;
    for (const auto& m : v.members)
        if (m.name != v.node && m.match_index)
            r.followers.push_back({m.name, *m.match_index, m.lag_entries.value_or(0), m.lag_ms.value_or(0)});
    return r;
}

http::Response metrics_response(const http::MetricsCall& call, const metrics::MetricsInput& in) {
    http::Response r;
    if (!call.json) {
        r.content_type = "text/plain; version=0.0.4; charset=utf-8";
        r.body = metrics::render_text(in);
        return r;
    }
    auto j = metrics::render_summary(in);
    if (call.window_ms > 0) {
        j["window"] = call.window;
        j["windowMs"] = call.window_ms;
    }
    r.body = j.dump();
    return r;
}

// GET /metrics: the peer's status, then every actor's report, then the state's figures
// (this node's copy), then what the node's counters, the OS and the cache say.
void scrape(Self* self, const GatewaySetupPtr& setup, const http::MetricsCall& call, ReplyPtr out) {
    auto in = std::make_shared<metrics::MetricsInput>();
    in->node = setup->node_name;
    in->uptime_seconds = std::chrono::duration<double>(self->clock().now() - setup->started).count();
    auto finish = [=] {
        // A window from the history while it holds the whole window, else from the
        // replicated per-minute rollups; no window, the running totals. Leader changes and hours led come from the
        // replicated terms.
        const std::int64_t now = setup->wall();
        const std::int64_t since = call.window_ms > 0 ? now - call.window_ms : INT64_MIN;
        query_local(self, setup->peer,
                    [in, since, now, windowed = call.window_ms > 0](const node::Applier& a) {
                        const auto& ops = a.ops();
                        in->ops = windowed ? ops.figures_between(since, now) : ops.figures();
                        in->failovers = ops.leaders().changes(since, now);
                        in->led_hours = static_cast<double>(ops.leaders().led_ms(since, now)) / 3'600'000.0;
                        in->operations_registered = ops.operations().size();
                        in->history_kept = ops.history_size();
                        for (const auto& [id, e] : ops.active()) {
                            if (e.status == state::ExecStatus::queued) ++in->queued;
                            if (e.status == state::ExecStatus::running) ++in->running;
                            if (e.status == state::ExecStatus::retrying) ++in->retrying;
                        }
                    })
            .then(
                [=](CompletionPtr) {
                    if (setup->cache) {
                        const auto f = setup->cache->figures();
                        in->cache = {f.size, f.capacity, f.hits, f.misses, f.evictions};
                    }
                    if (setup->counters) {
                        in->live = metrics::live_figures(*setup->counters);
                        in->raft.leader_changes = setup->counters->leader_changes.load(std::memory_order_relaxed);
                    }
                    if (setup->transport_figures) in->live.transport = setup->transport_figures();
                    if (setup->transport_refused) in->live.transport_rejected = setup->transport_refused();
                    in->process = metrics::read_process();
                    if (!setup->data_dir.empty()) in->disk = metrics::read_disk(setup->data_dir);
                    in->disk.storage_map_bytes = setup->storage_map_bytes->load();
                    reply(out, metrics_response(call, *in));
                },
                [=](caf::error& e) { reply(out, timed_out(e, "reading the state's figures")); });
    };
    self->request(setup->peer, timeouts::peer_status, status_atom::value)
        .then(
            [=](StatusPtr s) {
                in->raft = raft_figures(view_of(*s, *setup->directory));
                if (!setup->introspector) return finish();
                self->request(setup->introspector, timeouts::actor_reports, inspect_atom::value)
                    .then(
                        [=](ReportsPtr rs) {
                            for (const auto& r : *rs)
                                in->actors.push_back({r.name, r.kind, r.mailbox_depth, r.messages_handled});
                            finish();
                        },
                        [=](caf::error&) { finish(); });  // the figures without the actors beat none
            },
            [=](caf::error& e) { reply(out, timed_out(e, "the status query")); });
}

// GET /debug/actors...?node=NAME for another member: forwarded there once (its own
// gateway answers: NAME is itself there), so one node serves the whole cluster's view.
http::Response member_answer(const GatewaySetup& setup, const http::Request& req, const std::string& name) {
    const auto [id, member] = setup.directory->by_name(name);
    if (id == 0)
        return http::error_response(404, "member_not_found", "no such member",
                                    "no member named '" + name + "' (members: " + setup.directory->names() + ")");
    if (req.header(http::forwarded_header))
        return http::error_response(508, "forward_loop", "forwarded twice",
                                    setup.node_name + " was asked for " + name + "'s answer by another member");
    if (member.forward_to.empty())
        return http::error_response(503, "member_unknown_address", "member address not known yet",
                                    name + " has not introduced itself to " + setup.node_name + " yet",
                                    {{"Retry-After", "1"}});
    http::Response r;
    r.proxy_to = member.forward_to;
    r.proxy_name = name;
    r.proxy_member = name;
    return r;
}

}  // namespace

Gateway::behavior_type http_gateway(Self* self, GatewaySetupPtr setup) {
    return {
        [=](http_atom, RequestPtr req, ReplyPtr out) {
            self->state.stats.note(self, "http");
            http::Routed routed = http::route(*req, setup->api);
            if (!routed.call) return reply(out, std::move(routed.response));
            if (auto* g = std::get_if<http::KvGet>(&*routed.call)) {
                const std::string key = g->key;
                send_read(
                    self, setup, out, [=](const node::Completion& c) { reply(out, http::kv_read(key, c.value)); },
                    read_atom::value, g->key, g->stale);
                return;
            }
            if (auto* w = std::get_if<http::KvWrite>(&*routed.call)) {
                const state::KvCommand cmd = w->cmd;
                send_write(
                    self, setup, req, routed, out,
                    [=](const node::Completion& c) { reply(out, http::kv_written(cmd, c.result)); }, write_atom::value,
                    w->cmd);
                return;
            }
            if (auto* w = std::get_if<http::OpsWrite>(&*routed.call)) {
                http::OpsWrite call = *w;
                call.cmd.at_ms = setup->wall();
                if (call.kind == http::OpsWrite::Kind::replay) return replay(self, setup, req, routed, out, call);
                send_write(
                    self, setup, req, routed, out,
                    [=](const node::Completion& c) {
                        if (call.kind == http::OpsWrite::Kind::execute && call.wait &&
                            c.ops.code == state::OpsResult::Code::ok)
                            return wait_final(self, setup, c.ops.executions.at(0),
                                              setup->wall() + static_cast<std::int64_t>(call.wait_ms), out);
                        reply(out, http::ops_written(call, c.ops));
                    },
                    propose_atom::value, state::encode_ops_command(call.cmd));
                return;
            }
            if (auto* r = std::get_if<http::OpsRead>(&*routed.call)) {
                // The peer's thread (which owns the state) only copies a page; this actor
                // renders it.
                const http::OpsRead call = *r;
                auto copy = std::make_shared<http::OpsReadCopy>();
                auto q = std::make_shared<node::Query>(
                    [copy, call](const node::Applier& a) { *copy = http::ops_read_copy(call, a.ops()); });
                send_read(
                    self, setup, out,
                    [=](const node::Completion&) { reply(out, http::ops_render(call, *copy, setup->cache.get())); },
                    query_atom::value, QueryPtr(q), call.stale);
                return;
            }
            if (auto* d = std::get_if<http::DebugActors>(&*routed.call)) {
                const http::DebugActors call = *d;
                if (!call.node.empty() && call.node != setup->node_name)
                    return reply(out, member_answer(*setup, *req, call.node));
                if (!setup->introspector) return reply(out, http::actors(setup->node_name, call, {}));
                self->request(setup->introspector, timeouts::actor_reports, inspect_atom::value)
                    .then([=](ReportsPtr rs) { reply(out, http::actors(setup->node_name, call, *rs)); },
                          [=](caf::error& e) { reply(out, timed_out(e, "the introspection")); });
                return;
            }
            if (auto* m = std::get_if<http::MetricsCall>(&*routed.call)) return scrape(self, setup, *m, out);
            if (std::holds_alternative<http::AdminCall>(*routed.call)) {
                // Who asked, from where and with what scope; never the token itself.
                logging::info("admin_request", {{"method", req->method},
                                                {"target", req->target.substr(0, req->target.find('?'))},
                                                {"remote", req->remote},
                                                {"scope", http::to_string(routed.caller.scope)},
                                                {"auth", routed.caller.how}});
                return handle_admin(self, setup, req, routed, out);
            }
            const auto probe = std::get<http::HealthCall>(*routed.call).probe;
            if (probe == http::Probe::live) {
                http::NodeView v;
                v.started = true;
                v.node = setup->node_name;
                return reply(out, http::health(probe, v));
            }
            self->request(setup->peer, timeouts::peer_status, status_atom::value)
                .then(
                    [=](StatusPtr s) {
                        http::NodeView v = view_of(*s, *setup->directory);
                        v.draining = setup->drain->on;
                        if (setup->self_check) v.self_check = setup->self_check();
                        reply(out, http::health(probe, v));
                    },
                    [=](caf::error& e) { reply(out, timed_out(e, "the status query")); });
        },
        // A wait is over: answered by the look (final, or still pending), if still waiting.
        [=](wake_atom, std::uint64_t, std::int64_t, ReplyPtr) { look_at_waiters(self, setup); },
        [=](ops_changed_atom, bool, bool, bool) {
            if (!self->state.waiters.empty()) look_at_waiters(self, setup);
        },
        [=](leadership_atom, bool, std::uint64_t) {},  // told as a follower of the state; not needed here
        [=](wake_atom, DrainWaitPtr w) { drain_step(self, setup, std::move(w)); },
        [=](tick_atom) { sweep_awaited(self, setup); },
        [=](inspect_atom) {
            std::vector<std::pair<std::string, std::string>> fields;
            if (setup->cache) {
                const auto f = setup->cache->figures();
                char rate[32];
                std::snprintf(rate, sizeof rate, "%.4f", f.hit_rate());
                fields = {{"cacheSize", std::to_string(f.size)},           {"cacheMaxSize", std::to_string(f.capacity)},
                          {"cacheHits", std::to_string(f.hits)},           {"cacheMisses", std::to_string(f.misses)},
                          {"cacheEvictions", std::to_string(f.evictions)}, {"cacheHitRate", rate}};
            }
            // Requests waiting for the peer's answer (and any answered behind the oldest).
            fields.emplace_back("awaitingPeer", std::to_string(self->state.awaiting.size()));
            return report_of(self, self->state.stats, "http_gateway", "gateway", fields);
        },
    };
}

}  // namespace raftor::actors
