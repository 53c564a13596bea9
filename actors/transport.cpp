#include "actors/transport.hpp"

namespace raftor::actors {

Transport::behavior_type transport_actor(Transport::stateful_pointer<TransportState> self,
                                         std::shared_ptr<net::TcpTransport> tcp,
                                         std::shared_ptr<InboundTarget> target) {
    self->state.tcp = std::move(tcp);
    self->state.target = std::move(target);
    return {
        [=](register_atom, raft::NodeId, caf::actor peer) {
            self->state.stats.note(self, "register");
            {
                std::lock_guard<std::mutex> lock(self->state.target->mu);
                self->state.target->peer = std::move(peer);
            }
            self->state.tcp->start();
        },
        [=](frame_atom, raft::NodeId, raft::NodeId to, const Frame& bytes) {
            self->state.stats.note(self, "frame");
            self->state.tcp->send(to, bytes);
        },
        [=](inspect_atom) {
            const net::PeerStats t = self->state.tcp->stats();
            Summary s{{"framesOut", std::to_string(t.frames_out)},
                      {"bytesOut", std::to_string(t.bytes_out)},
                      {"framesDropped", std::to_string(t.frames_dropped)},
                      {"connects", std::to_string(t.connects)},
                      {"framesIn", std::to_string(t.frames_in)},
                      {"bytesIn", std::to_string(t.bytes_in)},
                      {"rejectedConnections", std::to_string(t.rejected_connections)}};
            // One line per peer connection: which link is dropping or reconnecting.
            for (const auto& [id, p] : self->state.tcp->peer_stats())
                s.emplace_back("peer." + std::to_string(id), "framesOut=" + std::to_string(p.frames_out) +
                                                                 " bytesOut=" + std::to_string(p.bytes_out) +
                                                                 " framesDropped=" + std::to_string(p.frames_dropped) +
                                                                 " connects=" + std::to_string(p.connects) +
                                                                 " protocol=" + std::to_string(p.protocol));
            return report_of(self, self->state.stats, "transport", "transport", std::move(s));
        },
    };
}

}  // namespace raftor::actors
