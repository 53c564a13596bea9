#include "sim/loopback_transport.hpp"

namespace raftor::sim {

caf::behavior loopback_transport(caf::stateful_actor<LoopbackState>* self, std::string /*name*/) {
    using namespace raftor::actors;
    return {
        [=](register_atom, raft::NodeId id, caf::actor peer) { self->state.peers[id] = std::move(peer); },
        [=](cut_atom, raft::NodeId id, bool cut) {
            if (cut)
                self->state.cut.insert(id);
            else
                self->state.cut.erase(id);
        },
        [=](frame_atom, raft::NodeId from, raft::NodeId to, const Frame& bytes) {
            auto& st = self->state;
            if (st.cut.count(from) || st.cut.count(to)) return;
            auto it = st.peers.find(to);
            if (it == st.peers.end()) return;
            ++st.delivered;
            self->send(it->second, frame_atom::value, from, bytes);
        },
    };
}

}  // namespace raftor::sim
