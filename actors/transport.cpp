#include "actors/transport.hpp"

namespace raftor::actors {

caf::behavior transport_actor(caf::stateful_actor<TransportState>* self, std::shared_ptr<net::TcpTransport> tcp,
                              std::shared_ptr<InboundTarget> target) {
    self->state.tcp = std::move(tcp);
    self->state.target = std::move(target);
    return {
        [=](register_atom, raft::NodeId, caf::actor peer) {
            {
                std::lock_guard<std::mutex> lock(self->state.target->mu);
                self->state.target->peer = std::move(peer);
            }
            self->state.tcp->start();
        },
        [=](frame_atom, raft::NodeId, raft::NodeId to, const Frame& bytes) {
            self->state.tcp->send(to, std::string(bytes.begin(), bytes.end()));
        },
    };
}

}  // namespace raftor::actors
