#include "actors/raft_peer.hpp"

#include "actors/election_timer.hpp"
#include "actors/storage.hpp"
#include "runtime/log/log.hpp"
#include "runtime/raft/codec.hpp"

namespace raftor::actors {

namespace {

using Self = caf::stateful_actor<PeerState>;

std::string name_of(const PeerSetup& setup, raft::NodeId id) {
    if (id == 0) return "none";
    auto it = setup.names.find(id);
    return it == setup.names.end() ? std::to_string(id) : it->second;
}

std::string list_of(const PeerSetup& setup, const std::vector<raft::NodeId>& ids) {
    std::string out;
    for (auto id : ids) out += (out.empty() ? "" : ",") + name_of(setup, id);
    return out;
}

std::uint64_t ms_between(PeerState::Time from, PeerState::Time to) {
    if (to <= from) return 0;
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count());
}

// Logs each role, term, leader and membership change once, and keeps the leader's
// append times for the replication lag.
void observe(Self* self, const PeerSetup& setup) {
    auto& st = self->state;
    const auto& core = st.replica->core();
    const auto now = self->clock().now();
    if (core.term() != st.logged_term) {
        logging::info("term_changed", {{"from", std::to_string(st.logged_term)}, {"to", std::to_string(core.term())}});
        st.logged_term = core.term();
    }
    if (core.role() != st.logged_role) {
        logging::info("role_changed", {{"from", raft::to_string(st.logged_role)},
                                       {"to", raft::to_string(core.role())},
                                       {"term", std::to_string(core.term())}});
        if (core.role() == raft::Role::leader) {
            st.leader_since = now;
            st.appended_at.clear();
            st.recorded_last = core.log().last_index();  // older entries count from leader_since
        }
        st.logged_role = core.role();
    }
    if (core.leader() != st.logged_leader) {
        logging::info("leader_changed", {{"leader", name_of(setup, core.leader())},
                                         {"previous", name_of(setup, st.logged_leader)},
                                         {"term", std::to_string(core.term())}});
        st.logged_leader = core.leader();
    }
    if (!(core.conf() == st.logged_conf)) {
        logging::info("membership_changed", {{"voters", list_of(setup, core.conf().voters)},
                                             {"learners", list_of(setup, core.conf().learners)},
                                             {"term", std::to_string(core.term())}});
        st.logged_conf = core.conf();
    }
    if (core.role() == raft::Role::leader) {
        const raft::Index last = core.log().last_index();
        if (last > st.recorded_last) {
            // One record per run of entries appended since the last look.
            st.appended_at.emplace_back(st.recorded_last + 1, now);
            st.recorded_last = last;
        }
        // Forget runs every member already has; keep the record bounded regardless.
        raft::Index min_match = last;
        for (auto id : core.conf().voters)
            if (auto pr = core.progress(id); pr && id != core.id()) min_match = std::min(min_match, pr->match);
        for (auto id : core.conf().learners)
            if (auto pr = core.progress(id)) min_match = std::min(min_match, pr->match);
        while (st.appended_at.size() > 1 && st.appended_at[1].first <= min_match + 1) st.appended_at.pop_front();
        while (st.appended_at.size() > 100'000) st.appended_at.pop_front();
    }
}

// How long the oldest entry a member with `match` lacks has waited.
std::uint64_t lag_ms(const PeerState& st, raft::Index match, raft::Index last, PeerState::Time now) {
    if (match >= last) return 0;
    const raft::Index missing = match + 1;
    PeerState::Time since = st.leader_since;
    for (auto it = st.appended_at.rbegin(); it != st.appended_at.rend(); ++it) {
        if (it->first <= missing) {
            since = it->second;
            break;
        }
    }
    return ms_between(since, now);
}

void drain(Self* self, const PeerSetup& setup) {
    auto& st = self->state;
    while (st.replica->has_work()) {
        node::Actions a = st.replica->advance();
        raft::Ready& rd = a.ready;
        for (const auto& m : rd.messages) {
            const std::string bytes = raft::encode_message(m);
            self->send(st.transport, frame_atom::value, m.from, m.to, Frame(bytes.begin(), bytes.end()));
        }
        if (rd.persist_id != 0) {
            const std::uint64_t id = rd.persist_id;
            self->send(st.storage, persist_atom::value, id,
                       BatchPtr(std::make_shared<storage::WriteBatch>(storage::WriteBatch::from(rd))));
        }
        if (a.local_snapshot) {
            logging::info("snapshot_taken", {{"index", std::to_string(a.local_snapshot->meta.index)},
                                             {"bytes", std::to_string(a.local_snapshot->data->size())}});
            self->send(st.storage, snapshot_atom::value,
                       SnapshotPtr(std::make_shared<raft::Snapshot>(*a.local_snapshot)));
        }
        for (auto& c : a.completions) {
            auto it = st.waiting.find(c.token);
            if (it == st.waiting.end()) continue;
            it->second.deliver(CompletionPtr(std::make_shared<node::Completion>(std::move(c))));
            st.waiting.erase(it);
        }
    }
    observe(self, setup);
}

// Drains once for everything already in the mailbox: the client writes queued behind
// this one become one Ready (one append per follower, one persist, one fsync).
void schedule_drain(Self* self) {
    if (self->state.drain_queued) return;
    self->state.drain_queued = true;
    self->send(self, drain_atom::value);
}

template <class F>
caf::response_promise ask(Self* self, F&& submit) {
    auto rp = self->make_response_promise();
    const node::Token t = self->state.next_token++;
    self->state.waiting.emplace(t, rp);
    submit(t);
    schedule_drain(self);
    return rp;
}

StatusPtr status_of(Self* self) {
    const auto& st = self->state;
    const auto& core = st.replica->core();
    auto s = std::make_shared<PeerStatus>();
    s->id = core.id();
    s->role = core.role();
    s->term = core.term();
    s->leader = core.leader();
    s->commit = core.commit();
    s->applied = core.applied();
    s->last_index = core.log().last_index();
    s->conf = core.conf();
    s->storage_ok = st.storage_ok;
    s->pending_writes = st.replica->pending_writes();
    s->pending_reads = st.replica->pending_reads();
    s->frames_rejected = st.frames_rejected;
    const auto now = self->clock().now();
    if (core.role() == raft::Role::leader) {
        auto add = [&](raft::NodeId id, bool voter) {
            if (id == core.id()) return;
            const raft::Progress* pr = core.progress(id);
            const raft::Index match = pr ? pr->match : 0;
            const std::uint64_t lag = lag_ms(st, match, s->last_index, now);
            s->progress.push_back(MemberProgress{id, voter, match, lag});
            s->replication_lag_ms = std::max(s->replication_lag_ms, lag);
        };
        for (auto id : core.conf().voters) add(id, true);
        for (auto id : core.conf().learners) add(id, false);
    } else {
        s->replication_lag_ms = core.leader() == 0 ? 0 : ms_between(st.leader_heard, now);
    }
    return s;
}

Summary summary_of(Self* self) {
    const auto& st = self->state;
    const auto& core = st.replica->core();
    Summary s{{"id", std::to_string(core.id())},
              {"role", raft::to_string(core.role())},
              {"term", std::to_string(core.term())},
              {"leader", std::to_string(core.leader())},
              {"commitIndex", std::to_string(core.commit())},
              {"appliedIndex", std::to_string(core.applied())},
              {"lastIndex", std::to_string(core.log().last_index())},
              {"stableIndex", std::to_string(core.stable())},
              {"pendingWrites", std::to_string(st.replica->pending_writes())},
              {"pendingReads", std::to_string(st.replica->pending_reads())},
              {"framesRejected", std::to_string(st.frames_rejected)},
              {"storageOk", st.storage_ok ? "true" : "false"}};
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

}  // namespace

caf::behavior raft_peer(Self* self, PeerSetupPtr setup) {
    auto& st = self->state;
    st.replica = std::make_unique<node::Replica>(setup->config, setup->restore, setup->options);
    st.transport = setup->transport;
    st.storage = setup->storage_on_own_thread
                     ? self->spawn<caf::linked + caf::detached>(storage_actor, setup->store, caf::actor(self))
                     : self->spawn<caf::linked>(storage_actor, setup->store, caf::actor(self));
    auto timer = self->spawn<caf::linked>(election_timer, caf::actor(self), setup->tick);
    join(setup->introspector, "storage", "storage", st.storage);
    join(setup->introspector, "election_timer", "timer", timer);
    st.logged_term = st.replica->core().term();
    st.logged_conf = st.replica->core().conf();
    st.leader_heard = self->clock().now();
    const raft::NodeId id = setup->config.id;
    return {
        [=](tick_atom) {
            self->state.stats.note(self, "tick");
            self->state.replica->tick();
            schedule_drain(self);
        },
        [=](frame_atom, const Frame& bytes) {
            self->state.stats.note(self, "frame");
            std::string error;
            auto m = raft::decode_message(std::string_view(bytes.data(), bytes.size()), error);
            if (!m || m->to != id) {
                // A bad frame never reaches the core.
                ++self->state.frames_rejected;
                logging::warn("peer_frame_rejected", {{"reason", m ? "addressed to another node" : error}});
                return;
            }
            if (m->from == self->state.replica->core().leader()) self->state.leader_heard = self->clock().now();
            self->state.replica->step(*m);
            schedule_drain(self);
        },
        [=](persisted_atom, std::uint64_t persist_id) {
            self->state.stats.note(self, "persisted");
            self->state.replica->persisted(persist_id);
            schedule_drain(self);
        },
        [=](drain_atom) {
            self->state.stats.note(self, "drain");
            self->state.drain_queued = false;
            drain(self, *setup);
        },
        [=](storage_error_atom, const std::string& what) {
            self->state.stats.note(self, "storage_error");
            // Never a half-alive node: without durable storage this peer stops.
            self->state.storage_ok = false;
            logging::error("storage_failed", {{"error", what}});
            self->quit(caf::make_error(caf::sec::runtime_error, "storage failed: " + what));
        },
        [=](write_atom, const state::KvCommand& cmd) {
            self->state.stats.note(self, "write");
            return ask(self, [&](node::Token t) { self->state.replica->write(t, cmd); });
        },
        [=](read_atom, const std::string& key, bool stale) {
            self->state.stats.note(self, "read");
            return ask(self, [&](node::Token t) { self->state.replica->read(t, key, stale); });
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
