#include "actors/raft_peer.hpp"

#include "actors/election_timer.hpp"
#include "actors/state_machine.hpp"
#include "actors/storage.hpp"
#include "runtime/log/log.hpp"
#include "runtime/raft/codec.hpp"
#include "runtime/raft/conf_change_codec.hpp"
#include "runtime/raft/inbound_check.hpp"

namespace raftor::actors {

namespace {

using Self = caf::stateful_actor<PeerState>;

std::string name_of(const PeerState& st, raft::NodeId id) {
    if (id == 0) return "none";
    auto it = st.names.find(id);
    return it == st.names.end() ? std::to_string(id) : it->second;
}

std::string list_of(const PeerState& st, const std::vector<raft::NodeId>& ids) {
    std::string out;
    for (auto id : ids) out += (out.empty() ? "" : ",") + name_of(st, id);
    return out;
}

// A member added at run time: its name for the logs, its address for the transport.
void learn(Self* self, const PeerSetup& setup, const state::MemberInfo& m) {
    auto& known = self->state.names[m.id];
    if (known == m.name && !setup.on_member) return;
    known = m.name;
    if (setup.on_member) setup.on_member(m);
}

// Conf-change entries name the member they add; the leader must reach a new member as
// soon as the entry is in its log, and a follower may have to answer it before the
// entry commits, so addresses are learned as entries arrive, not when they apply.
void learn_from(Self* self, const PeerSetup& setup, const std::vector<raft::Entry>& entries) {
    for (const auto& e : entries) {
        if (e.type != raft::EntryType::conf_change) continue;
        auto cc = raft::decode_conf_change(e.payload);
        if (!cc || cc->context.empty()) continue;
        std::string error;
        if (auto m = state::decode_member(cc->context, error); m && m->id == cc->node) learn(self, setup, *m);
    }
}

AdminAnswerPtr admin_answer(AdminAnswer a) {
    return std::make_shared<const AdminAnswer>(std::move(a));
}

// A drained node does not keep leadership: it hands it to its most caught-up voter
// whenever it finds itself leading (an election may hand it back). A node out of
// storage keeps it: a new leader's election must store a term and a vote, which a
// member just as full cannot, and the cluster would be left with no leader at all.
void hand_on_if_drained(Self* self) {
    auto& st = self->state;
    const auto& core = st.consensus->core();
    if (!st.drained || core.role() != raft::Role::leader || core.transfer_target() != raft::no_node) return;
    if (const raft::NodeId to = st.consensus->hand_over(); to != raft::no_node)
        logging::info("leadership_handover", {{"to", name_of(st, to)}, {"reason", "drained"}});
}

// A leader out of storage refuses client writes before they reach the log.
std::optional<node::Proposal> refuse_if_full(Self* self) {
    auto& st = self->state;
    if (!st.storage_full || st.consensus->core().role() != raft::Role::leader) return std::nullopt;
    node::Proposal p;
    p.refused = node::Completion{.token = st.next_token++,
                                 .outcome = node::Outcome::no_space,
                                 .detail = "the leader's storage is full: " + st.storage_full_reason};
    return p;
}

// The actor clock in nanoseconds: the node's steady clock, or simulated time in tests.
std::int64_t now_ns(Self* self) {
    return ActorStats::steady_ns(self->clock().now());
}

// Propose to durable here, and durable here to a quorum's (commit), for this leader's
// own proposals; the later stages are timed by the state machine and the gateway.
void time_write_stages(Self* self) {
    auto& st = self->state;
    if (!st.counters || st.stage_marks.empty()) return;
    const auto& core = st.consensus->core();
    if (core.role() != raft::Role::leader) {
        st.stage_marks.clear();
        st.stage_persisted = 0;
        return;
    }
    const std::int64_t now = now_ns(self);
    // Only the marks made durable since the last drain: not a walk over every uncommitted one.
    for (auto it = st.stage_marks.upper_bound(st.stage_persisted);
         it != st.stage_marks.end() && it->first <= core.stable(); ++it) {
        it->second.persisted_ns = now;
        st.counters->observe_stage(metrics::WriteStage::propose_to_persisted, now - it->second.proposed_ns);
    }
    st.stage_persisted = std::max(st.stage_persisted, core.stable());
    while (!st.stage_marks.empty() && st.stage_marks.begin()->first <= core.commit()) {
        const auto& m = st.stage_marks.begin()->second;
        if (m.persisted_ns != 0)
            st.counters->observe_stage(metrics::WriteStage::persisted_to_quorum, now - m.persisted_ns);
        st.stage_marks.erase(st.stage_marks.begin());
    }
}

// The actor clock in milliseconds.
std::uint64_t now_ms(Self* self) {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(self->clock().now().time_since_epoch()).count());
}

raft::Index min_match(const raft::Raft& core) {
    raft::Index m = core.log().last_index();
    auto take = [&](raft::NodeId id) {
        if (const raft::Progress* pr = core.progress(id); pr && id != core.id()) m = std::min(m, pr->match);
    };
    for (auto id : core.conf().voters) take(id);
    for (auto id : core.conf().learners) take(id);
    return m;
}

// Logs each role, term, leader and membership change once, and keeps the leader's
// append times for the replication lag.
void observe(Self* self) {
    auto& st = self->state;
    const auto& core = st.consensus->core();
    const std::uint64_t now = now_ms(self);
    if (core.term() != st.logged_term) {
        logging::info("term_changed", {{"from", std::to_string(st.logged_term)}, {"to", std::to_string(core.term())}});
        st.logged_term = core.term();
    }
    logging::set_position(core.term(), core.commit());
    if (st.leader_elsewhere) {
        const bool elsewhere = core.role() == raft::Role::follower && core.leader() != 0 && core.leader() != core.id();
        st.leader_elsewhere->store(elsewhere ? core.leader() : 0, std::memory_order_relaxed);
    }
    if (core.role() != st.logged_role) {
        logging::info("role_changed", {{"from", raft::to_string(st.logged_role)},
                                       {"to", raft::to_string(core.role())},
                                       {"term", std::to_string(core.term())}});
        if (core.role() == raft::Role::candidate || core.role() == raft::Role::pre_candidate) {
            logging::info("election_started", {{"as", raft::to_string(core.role())},
                                               {"term", std::to_string(core.term())},
                                               {"last_index", std::to_string(core.log().last_index())}});
            if (st.counters) metrics::bump(st.counters->elections);
        }
        if (core.role() == raft::Role::leader) st.lag.became_leader(core.log().last_index(), now);
        st.logged_role = core.role();
    }
    if (core.leader() != st.logged_leader) {
        // The phrases are the ones runbooks grep for ("leader elected", "cluster started").
        logging::said(logging::Level::info, "leader_changed", core.leader() != 0 ? "leader elected" : "leader lost",
                      {{"leader", name_of(st, core.leader())},
                       {"previous", name_of(st, st.logged_leader)},
                       {"term", std::to_string(core.term())}});
        if (core.leader() != 0 && !st.logged_cluster_started) {
            st.logged_cluster_started = true;
            logging::said(logging::Level::info, "cluster_started", "cluster started",
                          {{"leader", name_of(st, core.leader())},
                           {"voters", list_of(st, core.conf().voters)},
                           {"term", std::to_string(core.term())}});
        }
        if (core.leader() != 0 && st.counters) metrics::bump(st.counters->leader_changes);
        st.logged_leader = core.leader();
    }
    if (!(core.conf() == st.logged_conf)) {
        logging::info("membership_changed", {{"voters", list_of(st, core.conf().voters)},
                                             {"learners", list_of(st, core.conf().learners)},
                                             {"term", std::to_string(core.term())}});
        st.logged_conf = core.conf();
    }
    // Leadership as the operations actors see it: leading in this term, or not.
    const bool leading = core.role() == raft::Role::leader;
    if (leading != st.told_leader || (leading && core.term() != st.told_term)) {
        st.told_leader = leading;
        st.told_term = core.term();
        for (const auto& f : st.followers) self->send(f, leadership_atom::value, leading, core.term());
    }
    if (core.role() == raft::Role::leader) {
        st.lag.observe(core.log().last_index(), min_match(core), now);
    } else {
        // A handover is answered once the new leader is known.
        if (core.leader() != raft::no_node) {
            for (auto& rp : st.stepping_down) rp.deliver(name_of(st, core.leader()));
            st.stepping_down.clear();
            for (auto& rp : st.transfers)
                rp.deliver(admin_answer({.ok = true, .leader = core.leader(), .term = core.term()}));
            st.transfers.clear();
        }
    }
    // Still leading with no transfer under way: the transfer was aborted (the target did
    // not take over within an election timeout).
    if (core.role() == raft::Role::leader && core.transfer_target() == raft::no_node && !st.transfers.empty()) {
        for (auto& rp : st.transfers)
            rp.deliver(admin_answer({.ok = false,
                                     .code = "transfer_failed",
                                     .detail = "the target did not take over within an election timeout; " +
                                               name_of(st, core.id()) + " still leads",
                                     .leader = core.id(),
                                     .term = core.term()}));
        st.transfers.clear();
    }
    hand_on_if_drained(self);
}

CompletionPtr completion(node::Completion c) {
    return std::make_shared<node::Completion>(std::move(c));
}

void schedule_drain(Self* self);

// Entries the core's log no longer caches, for a follower behind or for this node to
// apply after a restart: storage reads them back (after the writes queued before, none
// of which they are), and the core sends them on or hands them out to be applied.
void fetch_entries(Self* self, const raft::Fetch& f) {
    self->request(self->state.storage, caf::infinite, fetch_atom::value, f.from, std::uint64_t{f.count},
                  std::uint64_t{f.bytes})
        .then(
            [=](EntriesPtr entries) {
                self->state.consensus->fetched(f.to, f.from, *entries);
                schedule_drain(self);
            },
            [=](caf::error&) {
                // The storage actor is gone (the node is stopping): the next heartbeat asks again.
                self->state.consensus->fetched(f.to, f.from, {});
                schedule_drain(self);
            });
}

// Carries out everything the core has for us: messages, persistence, and the state
// machine's channel (snapshot, committed entries, reads at an index, abandoned writes),
// in that order.
void drain(Self* self, const PeerSetup& setup) {
    auto& st = self->state;
    while (st.consensus->has_work()) {
        node::Actions a = st.consensus->advance();
        raft::Ready& rd = a.ready;
        if (st.observer) st.observer->ready(st.consensus->core(), rd);
        std::vector<std::pair<raft::NodeId, std::string>> frames;
        for (const auto& m : rd.messages) {
            if (m.type == raft::MessageType::append && st.counters)
                st.counters->append_batch.observe(static_cast<double>(m.entries.size()));
            std::string bytes = raft::encode_message(m, setup.ids_implied && setup.ids_implied(m.to));
            if (st.counters)
                st.counters->bytes_sent[static_cast<std::size_t>(m.type)].fetch_add(bytes.size(),
                                                                                    std::memory_order_relaxed);
            if (setup.send_frames)
                frames.emplace_back(m.to, std::move(bytes));
            else
                self->send(st.transport, frame_atom::value, m.from, m.to, Frame(std::move(bytes)));
        }
        if (!frames.empty()) setup.send_frames(std::move(frames));
        if (rd.snapshot)
            self->send(st.state_machine, restore_atom::value,
                       SnapshotPtr(std::make_shared<raft::Snapshot>(*rd.snapshot)));
        if (!rd.committed.empty())
            self->send(st.state_machine, apply_atom::value,
                       EntriesPtr(std::make_shared<std::vector<raft::Entry>>(std::move(rd.committed))), now_ns(self));
        if (!rd.entries.empty()) learn_from(self, setup, rd.entries);
        if (rd.persist_id != 0) {
            const std::uint64_t id = rd.persist_id;
            self->send(st.storage, persist_atom::value, id,
                       BatchPtr(std::make_shared<storage::WriteBatch>(storage::WriteBatch::from(rd))));
        }
        for (const raft::Fetch& f : rd.fetches) fetch_entries(self, f);
        for (const node::ReadAt& r : a.reads) {
            auto it = st.reads.find(r.token);
            if (it == st.reads.end()) continue;
            if (it->second.query)
                it->second.rp.delegate(st.state_machine, query_atom::value, it->second.query, r.index);
            else
                it->second.rp.delegate(st.state_machine, read_atom::value, std::move(it->second.key), r.index);
            st.reads.erase(it);
        }
        if (a.abandon_before) self->send(st.state_machine, abandon_atom::value, *a.abandon_before);
        for (auto& c : a.completions) {
            auto it = st.reads.find(c.token);
            if (it == st.reads.end()) continue;
            it->second.rp.deliver(completion(std::move(c)));
            st.reads.erase(it);
        }
    }
    time_write_stages(self);
    observe(self);
}

// Drains once for everything already in the mailbox: the client writes queued behind
// this one become one Ready (one append per follower, one persist, one fsync).
void schedule_drain(Self* self) {
    if (self->state.observer) self->state.observer->stepped(self->state.consensus->core());
    if (self->state.drain_queued) return;
    self->state.drain_queued = true;
    self->send(self, drain_atom::value);
}

StatusPtr status_of(Self* self) {
    const auto& st = self->state;
    const auto& core = st.consensus->core();
    auto s = std::make_shared<PeerStatus>();
    s->id = core.id();
    s->role = core.role();
    s->term = core.term();
    s->leader = core.leader();
    s->commit = core.commit();
    s->applied = st.applied;
    s->last_index = core.log().last_index();
    s->conf = core.conf();
    s->storage_full = st.storage_full;
    s->storage_full_reason = st.storage_full_reason;
    const std::uint64_t now = now_ms(self);
    if (core.role() == raft::Role::leader) {
        auto add = [&](raft::NodeId id) {
            if (id == core.id()) return;
            const raft::Progress* pr = core.progress(id);
            const raft::Index match = pr ? pr->match : 0;
            const std::uint64_t lag = st.lag.lag_ms(match, s->last_index, now);
            s->progress.push_back(MemberProgress{id, match, lag});
            s->replication_lag_ms = std::max(s->replication_lag_ms, lag);
        };
        for (auto id : core.conf().voters) add(id);
        for (auto id : core.conf().learners) add(id);
    } else if (core.leader() != 0) {
        // A healthy leader is heard from once per heartbeat: only what is beyond that is lag
        // (else a scrape would read anything from 0 to one heartbeat at random).
        const auto heard = std::chrono::duration_cast<std::chrono::milliseconds>(self->clock().now() - st.leader_heard);
        s->replication_lag_ms = static_cast<std::uint64_t>(std::max<std::int64_t>(0, (heard - st.heartbeat).count()));
    }
    return s;
}

// Counts a refused frame and logs it, at most once a minute per sender: a hostile or
// broken peer must not flood the log.
void refuse_frame(Self* self, raft::NodeId sender, raft::Refusal why, const std::string& what) {
    auto& st = self->state;
    ++st.frames_rejected;
    if (st.counters) metrics::bump(st.counters->frames_refused[static_cast<std::size_t>(why)]);
    const auto now = self->clock().now();
    auto [it, first] = st.refusal_logged.try_emplace(sender, now);
    if (!first && now - it->second < std::chrono::minutes(1)) return;
    it->second = now;
    auto name = st.names.find(sender);
    logging::warn("peer_frame_rejected", {{"peer", name == st.names.end() ? std::to_string(sender) : name->second},
                                          {"reason", raft::to_string(why)},
                                          {"frame", what}});
}

Summary summary_of(Self* self) {
    const auto& st = self->state;
    const auto& core = st.consensus->core();
    Summary s{{"id", std::to_string(core.id())},
              {"role", raft::to_string(core.role())},
              {"term", std::to_string(core.term())},
              {"leader", std::to_string(core.leader())},
              {"commitIndex", std::to_string(core.commit())},
              {"appliedIndex", std::to_string(st.applied)},
              {"lastIndex", std::to_string(core.log().last_index())},
              {"stableIndex", std::to_string(core.stable())},
              {"pendingReads", std::to_string(st.consensus->pending_reads())},
              {"framesRejected", std::to_string(st.frames_rejected)}};
    if (core.role() == raft::Role::leader) {
        auto add = [&](raft::NodeId id) {
            const raft::Progress* pr = core.progress(id);
            if (id == core.id() || !pr) return;
            s.emplace_back("follower." + std::to_string(id), std::string("match=") + std::to_string(pr->match) +
                                                                 " next=" + std::to_string(pr->next) +
                                                                 " state=" + raft::to_string(pr->state) +
                                                                 " inflight=" + std::to_string(pr->inflights.count()));
        };
        for (auto id : core.conf().voters) add(id);
        for (auto id : core.conf().learners) add(id);
    }
    return s;
}

// The state machine's snapshot at `index`: the log before it is dropped, then the
// snapshot is stored. `answer` (an operator's request) hears once it is durable.
void compact_and_store(Self* self, raft::Index index, DataPtr data, std::shared_ptr<caf::response_promise> answer) {
    auto snap = self->state.consensus->compact(index, std::move(data));
    if (!snap) {
        // A newer snapshot (one from the leader) already covers it.
        if (answer)
            answer->deliver(admin_answer({.ok = true,
                                          .detail = "a newer snapshot already covers it",
                                          .index = self->state.consensus->core().snapshot().meta.index,
                                          .changed = false}));
        return;
    }
    logging::info("snapshot_taken",
                  {{"index", std::to_string(snap->meta.index)}, {"bytes", std::to_string(snap->data->size())}});
    if (auto& c = self->state.counters) metrics::bump(c->snapshots);
    const AdminAnswer done{.ok = true, .index = snap->meta.index, .term = snap->meta.term, .bytes = snap->meta.size};
    self->request(self->state.storage, caf::infinite, snapshot_atom::value,
                  SnapshotPtr(std::make_shared<raft::Snapshot>(*snap)))
        .then([=](const std::string& error) {
            if (!answer) return;
            if (error.empty()) return answer->deliver(admin_answer(done));
            AdminAnswer failed = done;
            failed.ok = false;
            failed.code = "storage_failed";
            failed.detail = "the snapshot was taken but could not be stored: " + error;
            answer->deliver(admin_answer(failed));
        });
}

// A proposal is answered by the state machine once its entry applies; it hears of the
// wait before the entry can reach it (one ordered channel from here).
caf::response_promise await_proposal(Self* self, node::Proposal p) {
    auto rp = self->make_response_promise();
    if (auto& c = self->state.counters) metrics::bump(p.refused ? c->proposals_refused : c->proposals);
    if (p.refused) {
        rp.deliver(completion(std::move(*p.refused)));
        return rp;
    }
    schedule_drain(self);
    const std::int64_t now = now_ns(self);
    if (self->state.counters) self->state.stage_marks[p.index] = {now, 0};
    rp.delegate(self->state.state_machine, await_atom::value, p.index, p.term, now);
    return rp;
}

// A key read or a query: at once on this node's copy when stale, else once the
// state machine has applied a confirmed read index.
caf::response_promise read_at_index(Self* self, std::string key, QueryPtr q, bool stale) {
    auto& st = self->state;
    auto rp = self->make_response_promise();
    if (stale) {
        if (q)
            rp.delegate(st.state_machine, query_atom::value, std::move(q), raft::Index{0});
        else
            rp.delegate(st.state_machine, read_atom::value, std::move(key), raft::Index{0});
        return rp;
    }
    const node::Token t = st.next_token++;
    if (auto refused = st.consensus->read(t)) {
        rp.deliver(completion(std::move(*refused)));
        return rp;
    }
    st.reads.emplace(t, PeerState::WaitingRead{rp, std::move(key), std::move(q)});
    schedule_drain(self);
    return rp;
}

}  // namespace

caf::behavior raft_peer(Self* self, PeerSetupPtr setup) {
    auto& st = self->state;
    st.consensus = std::make_unique<node::Consensus>(setup->config, setup->restore);
    st.consensus->set_min_voters(setup->min_voters);
    st.applied = setup->restore.snapshot.index;
    st.transport = setup->transport;
    st.observer = setup->observer;
    st.counters = setup->counters;
    st.leader_elsewhere = setup->leader_elsewhere;
    st.heartbeat = std::chrono::duration_cast<std::chrono::milliseconds>(setup->tick) *
                   static_cast<std::int64_t>(setup->config.heartbeat_ticks);
    st.storage =
        setup->storage_on_own_thread
            ? self->spawn<caf::linked + caf::detached>(storage_actor, setup->store, caf::actor(self), setup->counters)
            : self->spawn<caf::linked>(storage_actor, setup->store, caf::actor(self), setup->counters);
    auto sm_setup = std::make_shared<StateMachineSetup>();
    sm_setup->options = setup->options;
    sm_setup->snapshot_index = setup->restore.snapshot.index;
    sm_setup->snapshot_data = setup->restore.snapshot_data;
    sm_setup->peer = caf::actor(self);
    st.state_machine = self->spawn<caf::linked>(state_machine, StateMachineSetupPtr(sm_setup));
    auto timer = self->spawn<caf::linked>(election_timer, caf::actor(self), setup->tick);
    for (const auto& [name, kind, who] :
         {std::tuple<const char*, const char*, caf::actor>{"storage", "storage", st.storage},
          {"state_machine", "state", st.state_machine},
          {"election_timer", "timer", timer}}) {
        join(setup->introspector, name, kind, who);
        if (setup->spawned) setup->spawned(name, who);
    }
    st.names = setup->names;
    learn_from(self, *setup, setup->restore.entries);
    st.logged_term = st.consensus->core().term();
    st.logged_conf = st.consensus->core().conf();
    st.leader_heard = self->clock().now();
    return {
        [=](tick_atom) {
            self->state.stats.note(self, "tick");
            self->state.consensus->tick();
            schedule_drain(self);
        },
        [=](frame_atom, raft::NodeId sender, const Frame& bytes) {
            self->state.stats.note(self, "frame");
            auto& st = self->state;
            std::string error;
            auto m = raft::decode_message(std::string_view(bytes.data(), bytes.size()), error);
            if (m && m->from == raft::no_node) {  // left out: the link names them
                m->from = sender;
                m->to = st.consensus->core().id();
            }
            const raft::Refusal why =
                m ? raft::check_inbound(st.consensus->core(), sender, *m) : raft::Refusal::undecodable;
            if (why != raft::Refusal::none) {
                // A bad frame never reaches the core.
                refuse_frame(self, sender, why, m ? raft::to_string(m->type) : error);
                return;
            }
            if (m->from == st.consensus->core().leader()) st.leader_heard = self->clock().now();
            st.consensus->step(*m);
            schedule_drain(self);
        },
        [=](persisted_atom, std::uint64_t persist_id) {
            self->state.stats.note(self, "persisted");
            self->state.consensus->persisted(persist_id);
            schedule_drain(self);
        },
        [=](drain_atom) {
            self->state.stats.note(self, "drain");
            self->state.drain_queued = false;
            drain(self, *setup);
        },
        [=](storage_full_atom, bool full, const std::string& why) {
            self->state.stats.note(self, "storage_full");
            self->state.storage_full = full;
            self->state.storage_full_reason = why;
            schedule_drain(self);
        },
        [=](resize_atom atom, std::uint64_t bytes) { return self->delegate(self->state.storage, atom, bytes); },
        [=](storage_error_atom, const std::string& what) {
            self->state.stats.note(self, "storage_error");
            // Never a half-alive node: without durable storage this peer stops.
            logging::error("storage_failed", {{"error", what}});
            self->quit(caf::make_error(caf::sec::runtime_error, "storage failed: " + what));
        },
        [=](write_atom, const state::KvCommand& cmd) {
            self->state.stats.note(self, "write");
            if (auto refused = refuse_if_full(self)) return await_proposal(self, std::move(*refused));
            return await_proposal(self, self->state.consensus->write(self->state.next_token++, cmd));
        },
        [=](propose_atom, const std::string& payload) {
            self->state.stats.note(self, "propose");
            if (auto refused = refuse_if_full(self)) return await_proposal(self, std::move(*refused));
            return await_proposal(self, self->state.consensus->propose(self->state.next_token++, payload));
        },
        [=](query_atom, QueryPtr q, bool stale) {
            self->state.stats.note(self, "query");
            return read_at_index(self, {}, std::move(q), stale);
        },
        [=](subscribe_atom, const caf::actor& follower) {
            self->state.stats.note(self, "subscribe");
            self->state.followers.push_back(follower);
            self->send(self->state.state_machine, subscribe_atom::value, follower);
            const auto& core = self->state.consensus->core();
            self->send(follower, leadership_atom::value, core.role() == raft::Role::leader, core.term());
        },
        [=](read_atom, const std::string& key, bool stale) {
            self->state.stats.note(self, "read");
            return read_at_index(self, key, nullptr, stale);
        },
        [=](compact_atom, raft::Index index, DataPtr data) {
            self->state.stats.note(self, "compact");
            compact_and_store(self, index, std::move(data), nullptr);
        },
        [=](snapnow_atom) {
            self->state.stats.note(self, "snapnow");
            auto rp = self->make_response_promise();
            self->request(self->state.state_machine, caf::infinite, snapnow_atom::value)
                .then([=](raft::Index index, DataPtr data) mutable {
                    if (index == 0) {
                        const auto& core = self->state.consensus->core();
                        return rp.deliver(admin_answer({.ok = true,
                                                        .detail = "nothing applied since the last snapshot",
                                                        .index = core.snapshot().meta.index,
                                                        .term = core.snapshot().meta.term,
                                                        .bytes = core.snapshot().meta.size,
                                                        .changed = false}));
                    }
                    compact_and_store(self, index, std::move(data), std::make_shared<caf::response_promise>(rp));
                });
            return rp;
        },
        [=](transfer_atom, raft::NodeId to) {
            self->state.stats.note(self, "transfer");
            auto rp = self->make_response_promise();
            auto& st = self->state;
            const auto& core = st.consensus->core();
            if (core.role() != raft::Role::leader) {
                rp.deliver(admin_answer({.ok = false, .code = "not_leader", .leader = core.leader()}));
                return rp;
            }
            if (to == core.id()) {
                rp.deliver(admin_answer({.ok = true,
                                         .detail = name_of(st, to) + " already leads",
                                         .leader = to,
                                         .term = core.term(),
                                         .changed = false}));
                return rp;
            }
            raft::NodeId target = to;
            if (to == raft::no_node) {
                target = st.consensus->hand_over();
                if (target == raft::no_node) {
                    rp.deliver(admin_answer({.ok = false,
                                             .code = "no_target",
                                             .detail = "no other voter to hand leadership to",
                                             .leader = core.id()}));
                    return rp;
                }
            } else if (auto e = st.consensus->transfer_leadership(to); e != raft::Error::none) {
                rp.deliver(admin_answer({.ok = false,
                                         .code = "no_target",
                                         .detail = name_of(st, to) + ": " + raft::to_string(e) +
                                                   (core.conf().is_voter(to) ? "" : " (it is not a voter)"),
                                         .leader = core.id()}));
                return rp;
            }
            logging::info("leadership_handover", {{"to", name_of(st, target)}, {"reason", "operator"}});
            st.transfers.push_back(rp);
            schedule_drain(self);
            return rp;
        },
        [=](member_atom, raft::ConfChangeType type, raft::NodeId node, const std::string& context) {
            self->state.stats.note(self, "member");
            std::string error;
            if (!context.empty())
                if (auto m = state::decode_member(context, error)) learn(self, *setup, *m);
            if (auto refused = refuse_if_full(self)) return await_proposal(self, std::move(*refused));
            return await_proposal(
                self, self->state.consensus->change_membership(self->state.next_token++, type, node, context));
        },
        [=](members_atom, MembersPtr registry) {
            self->state.stats.note(self, "members");
            for (const auto& [mid, m] : registry->all()) learn(self, *setup, m);
        },
        [=](drained_atom, bool on) {
            self->state.stats.note(self, "drained");
            if (on != self->state.drained) logging::info(on ? "drain_started" : "drain_ended", {});
            self->state.drained = on;
            hand_on_if_drained(self);
            schedule_drain(self);
            return self->state.consensus->core().role() == raft::Role::leader;
        },
        [=](applied_atom, raft::Index index) {
            self->state.stats.note(self, "applied");
            self->state.applied = std::max(self->state.applied, index);
        },
        [=](step_down_atom) {
            self->state.stats.note(self, "step_down");
            auto rp = self->make_response_promise();
            const raft::NodeId to = self->state.consensus->hand_over();
            if (to == raft::no_node) {
                rp.deliver(std::string("not leading"));
                return rp;
            }
            logging::info("leadership_handover", {{"to", name_of(self->state, to)}});
            self->state.stepping_down.push_back(rp);
            schedule_drain(self);
            return rp;
        },
        [=](status_atom) {
            self->state.stats.note(self, "status");
            return status_of(self);
        },
        [=](inspect_atom) { return report_of(self, self->state.stats, "raft_peer", "consensus", summary_of(self)); },
        [=](sync_atom atom) { return self->delegate(self->state.storage, atom); },
    };
}

}  // namespace raftor::actors
