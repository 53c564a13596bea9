#include "actors/raft_peer.hpp"

#include <iostream>

#include "actors/election_timer.hpp"
#include "actors/storage.hpp"
#include "runtime/raft/codec.hpp"

namespace raftor::actors {

namespace {

void drain(caf::stateful_actor<PeerState>* self) {
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
        if (a.local_snapshot)
            self->send(st.storage, snapshot_atom::value,
                       SnapshotPtr(std::make_shared<raft::Snapshot>(*a.local_snapshot)));
        for (auto& c : a.completions) {
            auto it = st.waiting.find(c.token);
            if (it == st.waiting.end()) continue;
            it->second.deliver(CompletionPtr(std::make_shared<node::Completion>(std::move(c))));
            st.waiting.erase(it);
        }
    }
}

template <class F>
caf::response_promise ask(caf::stateful_actor<PeerState>* self, F&& submit) {
    auto rp = self->make_response_promise();
    const node::Token t = self->state.next_token++;
    self->state.waiting.emplace(t, rp);
    submit(t);
    drain(self);
    return rp;
}

}  // namespace

caf::behavior raft_peer(caf::stateful_actor<PeerState>* self, PeerSetupPtr setup) {
    auto& st = self->state;
    st.replica = std::make_unique<node::Replica>(setup->config, setup->restore, setup->options);
    st.transport = setup->transport;
    st.storage = setup->storage_on_own_thread
                     ? self->spawn<caf::linked + caf::detached>(storage_actor, setup->store, caf::actor(self))
                     : self->spawn<caf::linked>(storage_actor, setup->store, caf::actor(self));
    self->spawn<caf::linked>(election_timer, caf::actor(self), setup->tick);
    const raft::NodeId id = setup->config.id;
    return {
        [=](tick_atom) {
            self->state.replica->tick();
            drain(self);
        },
        [=](frame_atom, const Frame& bytes) {
            std::string error;
            auto m = raft::decode_message(std::string_view(bytes.data(), bytes.size()), error);
            if (!m || m->to != id) {
                // A bad frame never reaches the core.
                ++self->state.frames_rejected;
                std::cerr << "raft_peer " << id << ": rejected frame: " << (m ? "addressed to another node" : error)
                          << "\n";
                return;
            }
            self->state.replica->step(*m);
            drain(self);
        },
        [=](persisted_atom, std::uint64_t persist_id) {
            self->state.replica->persisted(persist_id);
            drain(self);
        },
        [=](storage_error_atom, const std::string& what) {
            // Never a half-alive node: without durable storage this peer stops.
            std::cerr << "raft_peer " << id << ": storage failed: " << what << "\n";
            self->quit(caf::make_error(caf::sec::runtime_error, what));
        },
        [=](write_atom, const state::KvCommand& cmd) {
            return ask(self, [&](node::Token t) { self->state.replica->write(t, cmd); });
        },
        [=](read_atom, const std::string& key, bool stale) {
            return ask(self, [&](node::Token t) { self->state.replica->read(t, key, stale); });
        },
        [=](status_atom) {
            const auto& core = self->state.replica->core();
            return StatusPtr(std::make_shared<PeerStatus>(
                PeerStatus{id, core.role(), core.term(), core.leader(), core.commit(), core.applied()}));
        },
    };
}

}  // namespace raftor::actors
