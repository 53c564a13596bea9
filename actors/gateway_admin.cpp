#include "actors/gateway_admin.hpp"

#include <thread>

#include "actors/timeouts.hpp"
#include "config/node_config.hpp"
#include "runtime/log/log.hpp"
#include "runtime/state/member_registry.hpp"

namespace raftor::actors {

namespace {

// The actor clock: the node's monotonic clock, or the simulator's time.
using Clock = caf::actor_clock;

std::uint64_t ms_since(GatewaySelf* self, Clock::time_point t) {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(self->clock().now() - t).count());
}

std::string name_of(const GatewaySetup& setup, raft::NodeId id) {
    return id == 0 ? std::string() : setup.directory->get(id).name;
}

// The answer when this node does not lead: forwarded to the leader (once), as writes are.
http::Response to_leader(const GatewaySetup& setup, const http::Request& req, const http::Routed& routed,
                         raft::NodeId leader) {
    const auto e = setup.directory->get(leader);
    return http::not_leader(req, routed.may_proxy(), leader ? e.name : "", e.forward_to, setup.directory->tls());
}

http::Response admin_failed(const AdminAnswer& a, const std::string& what) {
    const int status = a.code == "no_target" ? 409 : 503;
    return http::error_response(status, a.code, what + " failed", a.detail,
                                status == 503 ? std::vector<std::pair<std::string, std::string>>{{"Retry-After", "1"}}
                                              : std::vector<std::pair<std::string, std::string>>{});
}

void snapshot(GatewaySelf* self, const GatewaySetupPtr& setup, ReplyPtr out) {
    self->request(setup->peer, timeouts::snapshot_now, snapnow_atom::value)
        .then(
            [=](AdminAnswerPtr a) {
                if (!a->ok) return reply(out, admin_failed(*a, "the snapshot"));
                reply(out,
                      http::snapshot_taken({setup->node_name, a->index, a->term, a->bytes, a->changed, a->detail}));
            },
            [=](caf::error& e) { reply(out, timed_out(e, "the snapshot")); });
}

void transfer(GatewaySelf* self, const GatewaySetupPtr& setup, RequestPtr req, http::Routed routed,
              const std::string& to, ReplyPtr out) {
    raft::NodeId target = 0;
    if (!to.empty()) {
        target = setup->directory->by_name(to).first;
        if (target == 0)
            return reply(
                out, http::error_response(404, "member_not_found", "no such member",
                                          "no member named '" + to + "' (members: " + setup->directory->names() + ")"));
    }
    self->request(setup->peer, timeouts::transfer, transfer_atom::value, target)
        .then(
            [=](AdminAnswerPtr a) {
                if (!a->ok && a->code == "not_leader") return reply(out, to_leader(*setup, *req, routed, a->leader));
                if (!a->ok) return reply(out, admin_failed(*a, "the leadership transfer"));
                reply(out, http::leader_moved(
                               {setup->node_name, name_of(*setup, a->leader), a->term, a->changed, a->detail}));
            },
            [=](caf::error& e) { reply(out, timed_out(e, "the leadership transfer")); });
}

// Where a drain stands: how many handlers still run here, whether this node leads.
void drain_report(GatewaySelf* self, const GatewaySetupPtr& setup, std::uint64_t running, Clock::time_point began,
                  ReplyPtr out) {
    self->request(setup->peer, timeouts::peer_status, status_atom::value)
        .then(
            [=](StatusPtr s) {
                http::DrainReport r;
                r.node = setup->node_name;
                r.draining = setup->drain->on;
                r.running = running;
                r.leading = s->role == raft::Role::leader;
                r.leader = name_of(*setup, s->leader);
                r.drained = r.draining && running == 0 && !r.leading;
                r.waited_ms = ms_since(self, began);
                reply(out, http::drain_report(r));
            },
            [=](caf::error& e) { reply(out, timed_out(e, "the status query")); });
}

// Asks the executor (setting its drain mode as `on`) how many handlers still run.
template <typename F>
void running_handlers(GatewaySelf* self, const GatewaySetupPtr& setup, bool on, ReplyPtr out, F then) {
    if (!setup->executor) return then(std::uint64_t{0});
    self->request(setup->executor, timeouts::drain, drained_atom::value, on)
        .then([=](std::uint64_t running) { then(running); },
              [=](caf::error& e) { reply(out, timed_out(e, "asking the executor")); });
}

void undrain(GatewaySelf* self, const GatewaySetupPtr& setup, ReplyPtr out) {
    if (setup->drain->on) logging::info("undrained", {});
    setup->drain->on = false;
    const auto began = self->clock().now();
    running_handlers(self, setup, false, out, [=](std::uint64_t running) {
        self->request(setup->peer, timeouts::drain, drained_atom::value, false)
            .then([=](bool) { drain_report(self, setup, running, began, out); },
                  [=](caf::error& e) { reply(out, timed_out(e, "undraining the peer")); });
    });
}

std::vector<std::string> names_of(const GatewaySetup& setup, const std::vector<raft::NodeId>& ids) {
    std::vector<std::string> out;
    for (auto id : ids) out.push_back(name_of(setup, id));
    return out;
}

void change_members(GatewaySelf* self, const GatewaySetupPtr& setup, RequestPtr req, http::Routed routed,
                    const http::MemberChange& change, ReplyPtr out) {
    using Action = http::MemberChange::Action;
    const raft::NodeId id = config::raft_id_of(change.name);
    raft::ConfChangeType type = raft::ConfChangeType::add_learner;
    std::string context;
    switch (change.action) {
        case Action::add_learner: type = raft::ConfChangeType::add_learner; break;
        case Action::add_voter: type = raft::ConfChangeType::add_voter; break;
        case Action::promote: type = raft::ConfChangeType::promote_learner; break;
        case Action::remove: type = raft::ConfChangeType::remove_voter; break;
    }
    if (change.action == Action::add_learner || change.action == Action::add_voter)
        context = state::encode_member({id, change.name, change.peer_address});
    auto propose = [=] {
        send_write(
            self, setup, req, routed, out,
            [=](const node::Completion&) {
                self->request(setup->peer, timeouts::peer_status, status_atom::value)
                    .then(
                        [=](StatusPtr s) {
                            logging::info("member_changed",
                                          {{"action", http::to_string(change.action)}, {"member", change.name}});
                            reply(out,
                                  http::member_changed({change, id, s->last_index, names_of(*setup, s->conf.voters),
                                                        names_of(*setup, s->conf.learners)}));
                        },
                        [=](caf::error& e) { reply(out, timed_out(e, "the status query")); });
            },
            member_atom::value, type, id, context);
    };
    if (change.action != Action::remove) return propose();
    // Removing the leader: it hands leadership over first, so the cluster does not wait
    // out an election timeout; the new leader then makes the change.
    self->request(setup->peer, timeouts::peer_status, status_atom::value)
        .then(
            [=](StatusPtr s) {
                if (s->role != raft::Role::leader || s->id != id) return propose();
                // Refused anyway (the new leader checks it too): do not move leadership for nothing.
                if (s->conf.voters.size() - 1 < setup->min_voters)
                    return reply(
                        out, http::error_response(
                                 409, "refused", "refused",
                                 "removing it would leave " + std::to_string(s->conf.voters.size() - 1) +
                                     " voters, fewer than raft.minClusterSize (" + std::to_string(setup->min_voters) +
                                     "): add a member first, or lower raft.minClusterSize"));
                self->request(setup->peer, timeouts::transfer, transfer_atom::value, raft::NodeId{0})
                    .then(
                        [=](AdminAnswerPtr a) {
                            if (!a->ok)
                                return reply(out, admin_failed(*a, "handing leadership over before the removal"));
                            const auto leader = setup->directory->get(a->leader);
                            if (leader.forward_to.empty())
                                return reply(out, http::error_response(503, "no_leader", "no leader",
                                                                       "leadership moved to " + leader.name +
                                                                           ", whose address is not known yet: retry",
                                                                       {{"Retry-After", "1"}}));
                            // To the new leader, even if this request was forwarded once already:
                            // it leads, so it answers itself.
                            http::Response r;
                            r.proxy_to = leader.forward_to;
                            r.proxy_member = leader.name;
                            reply(out, std::move(r));
                        },
                        [=](caf::error& e) { reply(out, timed_out(e, "the leadership transfer")); });
            },
            [=](caf::error& e) { reply(out, timed_out(e, "the status query")); });
}

// A snapshot first (the copy then stands for everything applied), then the archive,
// made on a thread of its own: copying a large store must not hold an actor thread.
void backup(GatewaySelf* self, const GatewaySetupPtr& setup, ReplyPtr out) {
    if (!setup->backup)
        return reply(out, http::error_response(503, "unavailable", "backups unavailable", "this node takes none"));
    if (setup->backup_running->exchange(true))
        return reply(out, http::error_response(409, "backup_running", "a backup is running",
                                               "one backup at a time: retry once it is done", {{"Retry-After", "5"}}));
    self->request(setup->peer, timeouts::snapshot_now, snapnow_atom::value)
        .then(
            [=](AdminAnswerPtr a) {
                if (!a->ok) {
                    setup->backup_running->store(false);
                    return reply(out, admin_failed(*a, "the snapshot before the backup"));
                }
                std::thread([fn = setup->backup, running = setup->backup_running, out] {
                    http::Response r = fn();
                    running->store(false);
                    reply(out, std::move(r));
                }).detach();
            },
            [=](caf::error& e) {
                setup->backup_running->store(false);
                reply(out, timed_out(e, "the snapshot before the backup"));
            });
}

}  // namespace

void drain_step(GatewaySelf* self, const GatewaySetupPtr& setup, DrainWaitPtr w) {
    if (!setup->drain->on) return drain_report(self, setup, 0, w->began, w->out);  // undrained meanwhile
    running_handlers(self, setup, true, w->out, [=](std::uint64_t running) {
        auto again = [=] {
            if (self->clock().now() >= w->deadline) return drain_report(self, setup, running, w->began, w->out);
            self->delayed_send(self, timeouts::drain_poll, wake_atom::value, w);
        };
        if (running > 0) return again();
        // No handler runs: now leadership may go (the peer hands it on, and keeps doing so).
        self->request(setup->peer, timeouts::drain, drained_atom::value, true)
            .then(
                [=](bool leading) {
                    if (leading) return again();
                    drain_report(self, setup, 0, w->began, w->out);
                },
                [=](caf::error& e) { reply(w->out, timed_out(e, "draining the peer")); });
    });
}

void handle_admin(GatewaySelf* self, const GatewaySetupPtr& setup, RequestPtr req, const http::Routed& routed,
                  ReplyPtr out) {
    const auto& call = std::get<http::AdminCall>(*routed.call);
    using Kind = http::AdminCall::Kind;
    switch (call.kind) {
        case Kind::snapshot: return snapshot(self, setup, out);
        case Kind::transfer_leader: return transfer(self, setup, req, routed, call.to, out);
        case Kind::drain: {
            if (!setup->drain->on) logging::info("draining", {{"timeout_ms", std::to_string(call.timeout_ms)}});
            setup->drain->on = true;
            const auto now = self->clock().now();
            return drain_step(self, setup,
                              std::make_shared<const DrainWait>(
                                  DrainWait{out, now, now + std::chrono::milliseconds(call.timeout_ms)}));
        }
        case Kind::drain_status: {
            const auto now = self->clock().now();
            return running_handlers(self, setup, setup->drain->on, out,
                                    [=](std::uint64_t running) { drain_report(self, setup, running, now, out); });
        }
        case Kind::undrain: return undrain(self, setup, out);
        case Kind::shutdown: {
            logging::info("shutdown_requested", {{"by", "POST /shutdown"}});
            reply(out, http::shutdown_started(setup->node_name));
            if (setup->request_stop) setup->request_stop();
            return;
        }
        case Kind::members:
            self->request(setup->peer, timeouts::peer_status, status_atom::value)
                .then(
                    [=](StatusPtr s) {
                        http::NodeView v = view_of(*s, *setup->directory);
                        v.draining = setup->drain->on;
                        reply(out, http::health(http::Probe::cluster, v));
                    },
                    [=](caf::error& e) { reply(out, timed_out(e, "the status query")); });
            return;
        case Kind::member_change: return change_members(self, setup, req, routed, call.change, out);
        case Kind::backup: return backup(self, setup, out);
        case Kind::storage: {
            if (setup->backup_running->load())
                return reply(out, http::error_response(409, "backup_running", "a backup is running",
                                                       "the map is not resized while a backup copies it: retry",
                                                       {{"Retry-After", "5"}}));
            const std::uint64_t bytes = call.map_bytes;
            self->request(setup->peer, timeouts::storage_resize, resize_atom::value, bytes)
                .then(
                    [=](const StorageAnswerPtr& resized) {
                        if (!resized->ok())
                            return reply(out,
                                         http::error_response(500, "resize_failed", "resize failed", resized->message));
                        setup->storage_map_bytes->store(bytes);
                        self->request(setup->peer, timeouts::peer_status, status_atom::value)
                            .then(
                                [=](StatusPtr s) {
                                    reply(out, http::storage_resized(setup->node_name, bytes, s->storage_full,
                                                                     s->storage_full_reason));
                                },
                                [=](caf::error& e) { reply(out, timed_out(e, "the status query")); });
                    },
                    [=](caf::error& e) { reply(out, timed_out(e, "resizing the map")); });
            return;
        }
    }
}

}  // namespace raftor::actors
