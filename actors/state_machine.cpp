#include "actors/state_machine.hpp"

#include "actors/timeouts.hpp"
#include "runtime/log/log.hpp"

namespace raftor::actors {

namespace {

using Self = StateMachine::stateful_base<StateMachineState>;

// Answers every request the applier settled; asks the peer to compact when a snapshot is due.
void settle(Self* self, const StateMachineSetup& setup) {
    auto& st = self->state;
    for (auto& c : st.applier->take_completions()) {
        if (auto p = st.proposed_ns.find(c.token); p != st.proposed_ns.end()) {
            c.proposed_ns = p->second;
            c.committed_ns = st.handed_ns;
            c.applied_ns = ActorStats::steady_ns(self->clock().now());
            st.proposed_ns.erase(p);
        }
        auto it = st.waiting.find(c.token);
        if (it == st.waiting.end()) continue;
        it->second.deliver(CompletionPtr(std::make_shared<node::Completion>(std::move(c))));
        st.waiting.erase(it);
    }
    if (st.applier->ops_changed()) {
        const state::OpsChanges c = st.applier->take_ops_changes();
        const std::uint8_t changed = (c.schedules ? schedules_changed : 0) | (c.runnable ? runnable_changed : 0) |
                                     (c.receipts ? receipts_changed : 0);
        for (const auto& [f, interests] : st.followers)
            if (changed & interests) caf::anon_send(f, ops_changed_atom::value, c.schedules, c.runnable, c.receipts);
    }
    if (st.applier->take_members_changed())
        self->send(setup.peer, members_atom::value,
                   MembersPtr(std::make_shared<state::MemberRegistry>(st.applier->members())));
    if (auto due = st.applier->snapshot_due()) {
        ++st.snapshots;
        self->send(setup.peer, compact_atom::value, due->index, DataPtr(due->data));
    }
}

// A request the applier answers now or later: registered under a fresh token.
template <class Submit>
caf::typed_response_promise<CompletionPtr> answer_later(Self* self, const StateMachineSetup& setup, Submit submit) {
    const node::Token t = self->state.next_token++;
    auto rp = self->make_response_promise<CompletionPtr>();
    self->state.waiting.emplace(t, rp);
    submit(t);
    settle(self, setup);
    return rp;
}

// Applies what the peer handed over, in order, while the store has room. Without room
// the rest waits (reads and writes on it wait too) and is tried again later: a full
// disk stops the state between entries, never in the middle of one.
void drain(Self* self, const StateMachineSetup& setup) {
    auto& st = self->state;
    while (!st.pending.empty()) {
        auto& p = st.pending.front();
        if (p.snapshot) {
            if (!st.applier->room_to_restore(p.snapshot->data->size())) break;
            // The snapshot's checksum was verified when it arrived: failing here means
            // this node cannot follow the cluster, and a node never runs half alive.
            if (auto e = st.applier->restore(p.snapshot->meta, *p.snapshot->data)) {
                logging::error("snapshot_restore_failed",
                               {{"index", std::to_string(p.snapshot->meta.index)}, {"error", *e}});
                return self->quit(caf::make_error(caf::sec::runtime_error, "snapshot restore failed: " + *e));
            }
            logging::info("snapshot_restored", {{"index", std::to_string(p.snapshot->meta.index)}});
        } else {
            st.handed_ns = p.handed_ns;
            p.from += st.applier->apply(*p.entries, p.from);
        }
        settle(self, setup);
        setup.applied->store(st.applier->applied(), std::memory_order_relaxed);
        if (p.snapshot == nullptr && p.from < p.entries->size()) break;
        st.pending.pop_front();
    }
    const bool waiting = !st.pending.empty();
    if (setup.counters) setup.counters->state_store_full.store(waiting ? 1 : 0, std::memory_order_relaxed);
    if (waiting && !st.waiting_logged)
        logging::error("state_store_full", {{"applied", std::to_string(st.applier->applied())},
                                            {"error", st.applier->waiting_for_room().value_or("no room")}});
    if (!waiting && st.waiting_logged)
        logging::info("state_store_room_back", {{"applied", std::to_string(st.applier->applied())}});
    st.waiting_logged = waiting;
    if (waiting && !st.retry_due) {
        st.retry_due = true;
        self->delayed_send(self, timeouts::storage_full_retry, retry_atom::value);
    }
}

}  // namespace

StateMachine::behavior_type state_machine(Self* self, StateMachineSetupPtr setup) {
    // A store that fails under the state cannot be stepped over: this replica would diverge
    // from the others. It stops, saying why (the peer, linked, stops the node with it).
    self->set_exception_handler([](caf::scheduled_actor*, std::exception_ptr& ep) -> caf::error {
        try {
            std::rethrow_exception(ep);
        } catch (const std::exception& e) {
            logging::error("state_store_failed", {{"error", e.what()}});
            return caf::make_error(caf::sec::runtime_error, std::string("state store failed: ") + e.what());
        }
    });
    self->state.applier = std::make_unique<node::Applier>(setup->options, setup->snapshot_index, setup->snapshot_data,
                                                          setup->store, setup->resume);
    if (self->state.applier->take_members_changed())
        self->send(setup->peer, members_atom::value,
                   MembersPtr(std::make_shared<state::MemberRegistry>(self->state.applier->members())));
    return {
        [=](await_atom, raft::Index index, raft::Term term, std::int64_t proposed_ns) {
            self->state.stats.note(self, "await");
            return answer_later(self, *setup, [&](node::Token t) {
                self->state.proposed_ns.emplace(t, proposed_ns);
                self->state.applier->await(t, index, term);
            });
        },
        [=](read_atom, const std::string& key, raft::Index at) {
            self->state.stats.note(self, "read");
            return answer_later(self, *setup, [&](node::Token t) { self->state.applier->read(t, key, at); });
        },
        [=](query_atom, QueryPtr q, raft::Index at) {
            self->state.stats.note(self, "query");
            return answer_later(self, *setup, [&](node::Token t) { self->state.applier->query(t, *q, at); });
        },
        [=](subscribe_atom, const caf::actor& follower, std::uint8_t interests) {
            self->state.stats.note(self, "subscribe");
            self->state.followers.emplace_back(follower, interests);
            caf::anon_send(follower, ops_changed_atom::value, true, true, true);
        },
        [=](apply_atom, EntriesPtr entries, std::int64_t handed_ns) {
            self->state.stats.note(self, "apply");
            self->state.pending.push_back({.entries = std::move(entries), .handed_ns = handed_ns});
            drain(self, *setup);
        },
        [=](restore_atom, SnapshotPtr snap) {
            self->state.stats.note(self, "restore");
            self->state.pending.push_back({.snapshot = std::move(snap)});
            drain(self, *setup);
        },
        [=](retry_atom) {
            self->state.retry_due = false;
            drain(self, *setup);
        },
        // An operator's snapshot: the state now (index 0: nothing applied since the last).
        [=](snapnow_atom) {
            self->state.stats.note(self, "snapnow");
            auto due = self->state.applier->snapshot_now();
            if (!due) return std::make_tuple(raft::Index{0}, DataPtr());
            ++self->state.snapshots;
            return std::make_tuple(due->index, DataPtr(due->data));
        },
        [=](abandon_atom, raft::Term before) {
            self->state.stats.note(self, "abandon");
            self->state.applier->abandon(before);
            settle(self, *setup);
        },
        [=](inspect_atom) {
            const auto& a = *self->state.applier;
            return report_of(self, self->state.stats, "state_machine", "state",
                             {{"appliedIndex", std::to_string(a.applied())},
                              {"kvRevision", std::to_string(a.kv().revision())},
                              {"kvKeys", std::to_string(a.kv().size())},
                              {"pendingWrites", std::to_string(a.pending_writes())},
                              {"pendingReads", std::to_string(a.pending_reads())},
                              {"waitingForRoom", a.waiting_for_room().value_or("")},
                              {"snapshotsTaken", std::to_string(self->state.snapshots)}});
        },
    };
}

}  // namespace raftor::actors
