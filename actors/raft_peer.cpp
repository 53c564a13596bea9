#include "actors/raft_peer.hpp"

#include <algorithm>

#include "actors/election_timer.hpp"
#include "actors/state_machine.hpp"
#include "actors/storage.hpp"
#include "actors/timeouts.hpp"
#include "runtime/log/log.hpp"
#include "runtime/raft/codec.hpp"
#include "runtime/raft/conf_change_codec.hpp"
#include "runtime/raft/inbound_check.hpp"

namespace raftor::actors {

namespace {

using Self = Peer::stateful_base<PeerState>;

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

// The actor clock in nanoseconds: the node's steady clock, or simulated time in tests.
std::int64_t now_ns(Self* self) {
    return ActorStats::steady_ns(self->clock().now());
}

// Propose to durable here, and durable here to a quorum's (commit), for this leader's
// own proposals; the later stages are timed by the state machine and the gateway.
void time_write_stages(Self* self) {
    auto& st = self->state;
    if (!st.counters || st.stage_marks.empty()) return;
    const auto& core = st.core->core();
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
    const auto& core = st.core->core();
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
    if (core.role() == raft::Role::leader) st.lag.observe(core.log().last_index(), min_match(core), now);
}

CompletionPtr completion(node::Completion c) {
    return std::make_shared<node::Completion>(std::move(c));
}

void schedule_drain(Self* self);
void settle(Self* self, const PeerSetup& setup);
void carry_out(Self* self, const PeerSetup& setup, node::Effects fx);
// A handler's answer, returned after settle(): the answer is filed before any drain.
template <class T>
T settled(Self* self, const PeerSetup& setup, T answer) {
    settle(self, setup);
    return answer;
}
void refuse_frame(Self* self, raft::NodeId sender, raft::Refusal why, const std::string& what);

// One input through the core, its effects carried out; what came back, for the caller
// to answer its request with. A request refused at once changed nothing: no drain.
node::Effects step(Self* self, const PeerSetup& setup, node::Input in) {
    node::Effects fx = self->state.core->step(std::move(in));
    node::Effects answer;
    answer.token = fx.token;
    answer.proposed = std::move(fx.proposed);
    answer.completions = std::move(fx.completions);
    carry_out(self, setup, std::move(fx));
    if (!(answer.proposed && answer.proposed->refused) && answer.completions.empty()) schedule_drain(self);
    return answer;
}

// Entries the core's log no longer caches, for a follower behind or for this node to
// apply after a restart: storage reads them back (after the writes queued before, none
// of which they are), and the core sends them on or hands them out to be applied.
void fetch_entries(Self* self, const PeerSetup& setup, const raft::Fetch& f) {
    self->request(self->state.storage, caf::infinite, fetch_atom::value, f.from, std::uint64_t{f.count},
                  std::uint64_t{f.bytes})
        .then(
            [self, &setup, f](EntriesPtr entries) {
                step(self, setup, node::in::Fetched{f.to, f.from, *entries});
                settle(self, setup);
            },
            // The storage actor is gone (the node is stopping): the next heartbeat asks again.
            [self, &setup, f](caf::error&) {
                step(self, setup, node::in::Fetched{f.to, f.from, {}});
                settle(self, setup);
            });
}

// One Ready: frames out, the batch to storage, the state machine's channel (snapshot,
// committed entries, reads at an index, abandoned writes), in that order.
void carry_out(Self* self, const PeerSetup& setup, node::Actions a) {
    auto& st = self->state;
    raft::Ready& rd = a.ready;
    if (st.observer) st.observer->ready(st.core->core(), rd);
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
            caf::anon_send(st.transport, frame_atom::value, m.from, m.to, Frame(std::move(bytes)));
    }
    if (!frames.empty()) setup.send_frames(std::move(frames));
    if (rd.snapshot)
        self->send(st.state_machine, restore_atom::value, SnapshotPtr(std::make_shared<raft::Snapshot>(*rd.snapshot)));
    if (!rd.committed.empty())
        self->send(st.state_machine, apply_atom::value,
                   EntriesPtr(std::make_shared<std::vector<raft::Entry>>(std::move(rd.committed))), now_ns(self));
    if (!rd.entries.empty()) learn_from(self, setup, rd.entries);
    if (rd.persist_id != 0) {
        const std::uint64_t id = rd.persist_id;
        self->send(st.storage, persist_atom::value, id,
                   BatchPtr(std::make_shared<storage::WriteBatch>(storage::WriteBatch::from(rd))));
    }
    for (const raft::Fetch& f : rd.fetches) fetch_entries(self, setup, f);
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

// Everything the core said to do but answering the request that caused it (step()).
void carry_out(Self* self, const PeerSetup& setup, node::Effects fx) {
    auto& st = self->state;
    if (fx.refused_frame) refuse_frame(self, fx.refused_frame->sender, fx.refused_frame->why, fx.refused_frame->what);
    if (fx.from_leader) st.leader_heard = self->clock().now();
    if (fx.actions) carry_out(self, setup, std::move(*fx.actions));
    for (const auto& [to, why] : fx.handovers)
        logging::info("leadership_handover", {{"to", name_of(st, to)}, {"reason", why}});
    if (fx.leadership)
        for (const auto& f : st.followers)
            caf::anon_send(f, leadership_atom::value, fx.leadership->first, fx.leadership->second);
    for (auto& r : fx.answers) {
        auto it = st.admin.find(r.token);
        if (it == st.admin.end()) continue;
        it->second.deliver(admin_answer({.ok = r.ok,
                                         .code = r.code,
                                         .detail = r.detail,
                                         .leader = r.leader,
                                         .term = r.term,
                                         .changed = r.changed}));
        st.admin.erase(it);
    }
}

// Carries out everything the core has pending, as Readies, then looks at where it ended.
void drain(Self* self, const PeerSetup& setup) {
    auto& st = self->state;
    st.drain_wanted = false;
    while (st.core->has_work()) carry_out(self, setup, st.core->step(node::in::Advance{}));
    time_write_stages(self);
    observe(self);
}

// Marks a drain as wanted; settle(), at the end of the handler, does it or queues it.
void schedule_drain(Self* self) {
    if (self->state.observer) self->state.observer->stepped(self->state.core->core());
    self->state.drain_wanted = true;
}

// Called last in every handler that steps the core (after its answer is filed). Drains
// once for everything already in the mailbox: the client writes queued behind this one
// become one Ready (one append per follower, one persist, one fsync). With nothing
// queued, the drain is now: a drain_atom would be the next message anyway, and sending
// it cost one message per input.
void settle(Self* self, const PeerSetup& setup) {
    auto& st = self->state;
    if (!st.drain_wanted || st.drain_queued) return;
    if (self->mailbox().empty()) {
        st.drain_wanted = false;
        drain(self, setup);
        return;
    }
    st.drain_queued = true;
    self->send(self, drain_atom::value);
}

StatusPtr status_of(Self* self) {
    const auto& st = self->state;
    const auto& core = st.core->core();
    auto s = std::make_shared<PeerStatus>();
    s->id = core.id();
    s->role = core.role();
    s->term = core.term();
    s->leader = core.leader();
    s->commit = core.commit();
    s->applied = st.applied->load(std::memory_order_relaxed);
    s->last_index = core.log().last_index();
    s->conf = core.conf();
    s->storage_full = st.core->storage_full();
    s->storage_full_reason = st.core->storage_full_reason();
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
void refuse_frame(Self* self, raft::NodeId sender, raft::Refusal why, const std::string& what) {
    auto& st = self->state;
    ++st.frames_rejected;
    if (st.counters) metrics::bump(st.counters->frames_refused[static_cast<std::size_t>(why)]);
    const auto now = self->clock().now();
    auto [it, first] = st.refusal_logged.try_emplace(sender, now);
    if (!first && now - it->second < timeouts::refusal_log_every) return;
    it->second = now;
    auto name = st.names.find(sender);
    logging::warn("peer_frame_rejected", {{"peer", name == st.names.end() ? std::to_string(sender) : name->second},
                                          {"reason", raft::to_string(why)},
                                          {"frame", what}});
}
Summary summary_of(Self* self) {
    const auto& st = self->state;
    const auto& core = st.core->core();
    Summary s{{"id", std::to_string(core.id())},
              {"role", raft::to_string(core.role())},
              {"term", std::to_string(core.term())},
              {"leader", std::to_string(core.leader())},
              {"commitIndex", std::to_string(core.commit())},
              {"appliedIndex", std::to_string(st.applied->load(std::memory_order_relaxed))},
              {"lastIndex", std::to_string(core.log().last_index())},
              {"stableIndex", std::to_string(core.stable())},
              {"pendingReads", std::to_string(st.core->pending_reads())},
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
void compact_and_store(Self* self, const PeerSetup& setup, raft::Index index, DataPtr data,
                       std::shared_ptr<caf::typed_response_promise<AdminAnswerPtr>> answer) {
    node::Effects fx = self->state.core->step(node::in::Compact{index, std::move(data)});
    auto snap = std::move(fx.snapshot);
    carry_out(self, setup, std::move(fx));
    if (!snap) {
        // A newer snapshot (one from the leader) already covers it.
        if (answer)
            answer->deliver(admin_answer({.ok = true,
                                          .detail = "a newer snapshot already covers it",
                                          .index = self->state.core->core().snapshot().meta.index,
                                          .changed = false}));
        return;
    }
    logging::info("snapshot_taken",
                  {{"index", std::to_string(snap->meta.index)}, {"bytes", std::to_string(snap->data->size())}});
    if (auto& c = self->state.counters) metrics::bump(c->snapshots);
    const AdminAnswer done{.ok = true, .index = snap->meta.index, .term = snap->meta.term, .bytes = snap->meta.size};
    self->request(self->state.storage, caf::infinite, snapshot_atom::value,
                  SnapshotPtr(std::make_shared<raft::Snapshot>(*snap)))
        .then([=](const StorageAnswerPtr& stored) {
            if (!answer) return;
            if (stored->ok()) {
                answer->deliver(admin_answer(done));
                return;
            }
            AdminAnswer failed = done;
            failed.ok = false;
            failed.code = "storage_failed";  // full or broken: the detail says which
            failed.detail = "the snapshot was taken but could not be stored: " + stored->message;
            answer->deliver(admin_answer(failed));
        });
}

// A proposal is answered by the state machine once its entry applies; it hears of the
// wait before the entry can reach it (one ordered channel from here).
caf::typed_response_promise<CompletionPtr> await_proposal(Self* self, const PeerSetup& setup, node::Input in) {
    auto rp = self->make_response_promise<CompletionPtr>();
    node::Proposal p = std::move(*step(self, setup, std::move(in)).proposed);
    if (auto& c = self->state.counters) metrics::bump(p.refused ? c->proposals_refused : c->proposals);
    if (p.refused) {
        rp.deliver(completion(std::move(*p.refused)));
        return rp;
    }
    const std::int64_t now = now_ns(self);
    if (self->state.counters) self->state.stage_marks[p.index] = {now, 0};
    rp.delegate(self->state.state_machine, await_atom::value, p.index, p.term, now);
    return rp;
}

// A key read or a query: at once on this node's copy when stale, else once the
// state machine has applied a confirmed read index.
caf::typed_response_promise<CompletionPtr> read_at_index(Self* self, const PeerSetup& setup, std::string key,
                                                         QueryPtr q, bool stale) {
    auto& st = self->state;
    auto rp = self->make_response_promise<CompletionPtr>();
    if (stale) {
        if (q)
            rp.delegate(st.state_machine, query_atom::value, std::move(q), raft::Index{0});
        else
            rp.delegate(st.state_machine, read_atom::value, std::move(key), raft::Index{0});
        return rp;
    }
    node::Effects fx = step(self, setup, node::in::Read{});
    if (!fx.completions.empty()) {
        rp.deliver(completion(std::move(fx.completions.front())));
        return rp;
    }
    st.reads.emplace(fx.token, PeerState::WaitingRead{rp, std::move(key), std::move(q)});
    return rp;
}

// An operator's transfer or step-down: answered now, or filed until it is over.
caf::typed_response_promise<AdminAnswerPtr> admin_request(Self* self, const PeerSetup& setup, node::Input in) {
    auto& st = self->state;
    auto rp = self->make_response_promise<AdminAnswerPtr>();
    node::Effects fx = st.core->step(std::move(in));
    st.admin.emplace(fx.token, rp);  // before its answer, which may be now
    const bool at_once = std::any_of(fx.answers.begin(), fx.answers.end(),
                                     [&](const node::AdminResult& r) { return r.token == fx.token; });
    carry_out(self, setup, std::move(fx));
    if (!at_once) schedule_drain(self);
    return rp;
}

}  // namespace

Peer::behavior_type raft_peer(Self* self, PeerSetupPtr setup) {
    auto& st = self->state;
    st.names = setup->names;
    st.core = std::make_unique<node::PeerCore>(setup->config, setup->restore, setup->min_voters,
                                               [self](raft::NodeId id) { return name_of(self->state, id); });
    st.applied =
        std::make_shared<std::atomic<raft::Index>>(std::max(setup->restore.snapshot.index, setup->restore.applied));
    st.transport = setup->transport;
    st.observer = setup->observer;
    st.counters = setup->counters;
    st.leader_elsewhere = setup->leader_elsewhere;
    st.heartbeat = std::chrono::duration_cast<std::chrono::milliseconds>(setup->tick) *
                   static_cast<std::int64_t>(setup->config.heartbeat_ticks);
    st.storage = setup->own_threads
                     ? self->spawn<caf::linked + caf::detached>(
                           storage_actor, setup->store, caf::actor_cast<Peer>(self), setup->counters, setup->wall)
                     : self->spawn<caf::linked>(storage_actor, setup->store, caf::actor_cast<Peer>(self),
                                                setup->counters, setup->wall);
    auto sm_setup = std::make_shared<StateMachineSetup>();
    sm_setup->options = setup->options;
    sm_setup->snapshot_index = setup->restore.snapshot.index;
    sm_setup->snapshot_data = setup->restore.snapshot_data;
    sm_setup->peer = caf::actor_cast<Peer>(self);
    sm_setup->applied = st.applied;
    sm_setup->store = setup->state_store;
    sm_setup->resume = setup->resume_state;
    sm_setup->counters = setup->counters;
    // Its own thread on a node: encoding a snapshot of the whole state takes seconds
    // for a large history, which would stall the event loop (heartbeats included).
    st.state_machine = setup->own_threads
                           ? self->spawn<caf::linked + caf::detached>(state_machine, StateMachineSetupPtr(sm_setup))
                           : self->spawn<caf::linked>(state_machine, StateMachineSetupPtr(sm_setup));
    auto timer =
        caf::actor_cast<caf::actor>(self->spawn<caf::linked>(election_timer, caf::actor_cast<Peer>(self), setup->tick));
    for (const auto& [name, kind, who] : {std::tuple<const char*, const char*, caf::actor>{
                                              "storage", "storage", caf::actor_cast<caf::actor>(st.storage)},
                                          {"state_machine", "state", caf::actor_cast<caf::actor>(st.state_machine)},
                                          {"election_timer", "timer", timer}}) {
        join(setup->introspector, name, kind, who);
        if (setup->spawned) setup->spawned(name, who);
    }
    learn_from(self, *setup, setup->restore.entries);
    st.logged_term = st.core->core().term();
    st.logged_conf = st.core->core().conf();
    st.leader_heard = self->clock().now();
    return {
        [=](tick_atom) {
            self->state.stats.note(self, "tick");
            step(self, *setup, node::in::Tick{});
            settle(self, *setup);
        },
        [=](frame_atom, raft::NodeId sender, const Frame& bytes) {
            self->state.stats.note(self, "frame");
            step(self, *setup, node::in::Frame{sender, std::string_view(bytes.data(), bytes.size())});
            settle(self, *setup);
        },
        [=](persisted_atom, std::uint64_t persist_id) {
            self->state.stats.note(self, "persisted");
            step(self, *setup, node::in::Persisted{persist_id});
            settle(self, *setup);
        },
        [=](drain_atom) {
            self->state.stats.note(self, "drain");
            self->state.drain_queued = false;
            drain(self, *setup);
        },
        [=](storage_full_atom, bool full, const std::string& why) {
            self->state.stats.note(self, "storage_full");
            step(self, *setup, node::in::StorageFull{full, why});
            settle(self, *setup);
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
            return settled(self, *setup, await_proposal(self, *setup, node::in::Write{cmd}));
        },
        [=](propose_atom, const std::string& payload) {
            self->state.stats.note(self, "propose");
            return settled(self, *setup, await_proposal(self, *setup, node::in::Propose{payload}));
        },
        [=](query_atom, QueryPtr q, bool stale) {
            self->state.stats.note(self, "query");
            return settled(self, *setup, read_at_index(self, *setup, {}, std::move(q), stale));
        },
        [=](subscribe_atom, const caf::actor& follower, std::uint8_t interests) {
            self->state.stats.note(self, "subscribe");
            self->state.followers.push_back(follower);
            self->send(self->state.state_machine, subscribe_atom::value, follower, interests);
            const auto& core = self->state.core->core();
            caf::anon_send(follower, leadership_atom::value, core.role() == raft::Role::leader, core.term());
        },
        [=](read_atom, const std::string& key, bool stale) {
            self->state.stats.note(self, "read");
            return settled(self, *setup, read_at_index(self, *setup, key, nullptr, stale));
        },
        [=](compact_atom, raft::Index index, DataPtr data) {
            self->state.stats.note(self, "compact");
            compact_and_store(self, *setup, index, std::move(data), nullptr);
        },
        [=](snapnow_atom) {
            self->state.stats.note(self, "snapnow");
            auto rp = self->make_response_promise<AdminAnswerPtr>();
            self->request(self->state.state_machine, caf::infinite, snapnow_atom::value)
                .then([=](raft::Index index, DataPtr data) mutable {
                    if (index == 0) {
                        const auto& core = self->state.core->core();
                        rp.deliver(admin_answer({.ok = true,
                                                 .detail = "nothing applied since the last snapshot",
                                                 .index = core.snapshot().meta.index,
                                                 .term = core.snapshot().meta.term,
                                                 .bytes = core.snapshot().meta.size,
                                                 .changed = false}));
                        return;
                    }
                    compact_and_store(self, *setup, index, std::move(data),
                                      std::make_shared<caf::typed_response_promise<AdminAnswerPtr>>(rp));
                });
            return rp;
        },
        [=](transfer_atom, raft::NodeId to) {
            self->state.stats.note(self, "transfer");
            return settled(self, *setup, admin_request(self, *setup, node::in::Transfer{to}));
        },
        [=](member_atom, raft::ConfChangeType type, raft::NodeId node, const std::string& context) {
            self->state.stats.note(self, "member");
            std::string error;
            if (!context.empty())
                if (auto m = state::decode_member(context, error)) learn(self, *setup, *m);
            return settled(self, *setup, await_proposal(self, *setup, node::in::ChangeMember{type, node, context}));
        },
        [=](members_atom, MembersPtr registry) {
            self->state.stats.note(self, "members");
            for (const auto& [mid, m] : registry->all()) learn(self, *setup, m);
        },
        [=](drained_atom, bool on) {
            self->state.stats.note(self, "drained");
            if (on != self->state.core->drained()) logging::info(on ? "drain_started" : "drain_ended", {});
            step(self, *setup, node::in::Drained{on});
            settle(self, *setup);
            return self->state.core->core().role() == raft::Role::leader;
        },
        [=](step_down_atom) {
            self->state.stats.note(self, "step_down");
            return settled(self, *setup, admin_request(self, *setup, node::in::StepDown{}));
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
