#pragma once
#include <caf/all.hpp>
#include <memory>
#include <mutex>

#include "actors/introspection.hpp"
#include "actors/messages.hpp"
#include "runtime/net/tcp_transport.hpp"

namespace raftor::actors {

// Where frames arriving on the TCP transport's I/O thread go: the local raft_peer,
// once it is registered. Shared between the I/O thread and the transport actor.
struct InboundTarget {
    std::mutex mu;
    caf::actor peer;
    // `from`: the authenticated peer of the connection the frame came in on.
    void deliver(std::uint64_t from, std::string payload) {
        std::lock_guard<std::mutex> lock(mu);
        if (peer) caf::anon_send(peer, frame_atom::value, raft::NodeId{from}, Frame(std::move(payload)));
    }
};

// Its protocol, checked by the compiler: the local peer registers (then the transport
// starts); a frame to send (tests: a node's peer hands frames to TCP itself); and the
// introspector's question.
using Transport = caf::typed_actor<caf::reacts_to<register_atom, raft::NodeId, caf::actor>,
                                   caf::reacts_to<frame_atom, raft::NodeId, raft::NodeId, Frame>,
                                   caf::replies_to<inspect_atom>::with<ReportPtr>>;

struct TransportState {
    std::shared_ptr<net::TcpTransport> tcp;
    std::shared_ptr<InboundTarget> target;
    ActorStats stats;
    ~TransportState() {
        if (tcp) tcp->stop();
    }
    static inline const char* name = "transport";
};

// Starts the (already bound) transport when the local peer registers, so no inbound
// frame is lost before there is a taker, and reports it. It relays nothing on a node:
// the peer hands its frames to the thread-safe transport itself (PeerSetup::send_frames);
// a frame sent to this actor (tests) still goes out.
Transport::behavior_type transport_actor(Transport::stateful_pointer<TransportState> self,
                                         std::shared_ptr<net::TcpTransport> tcp, std::shared_ptr<InboundTarget> target);

}  // namespace raftor::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<raftor::net::TcpTransport>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<raftor::actors::InboundTarget>)
