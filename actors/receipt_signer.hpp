#pragma once
// The receipt signer: on the leader, it registers this node's public key in the
// replicated state, then seals the receipts the state machine chained, a batch at a
// time: the Merkle root of every receipt not yet sealed, signed with the node's
// Ed25519 key. One seal is in flight at a time; receipts finished meanwhile go in the
// next, so batches grow with the rate.
#include <caf/all.hpp>
#include <memory>

#include "actors/introspection.hpp"
#include "actors/messages.hpp"
#include "actors/one_pass.hpp"
#include "actors/peer_protocol.hpp"
#include "actors/wall_clock.hpp"
#include "runtime/crypto/ed25519.hpp"

namespace raftor::actors {

struct SignerSetup {
    Peer peer;
    std::string node_name;
    std::shared_ptr<const crypto::SigningKey> key;
    std::uint32_t batch_max = 1024;
    WallClock wall = system_wall_clock();
};
using SignerSetupPtr = std::shared_ptr<const SignerSetup>;

struct SignerState {
    bool leading = false;
    std::uint64_t term = 0;
    bool key_registered = false;
    OnePass pass;
    std::uint64_t seals = 0, receipts = 0;
    ActorStats stats;
    static inline const char* name = "receipt_signer";
};

// Its protocol, checked by the compiler: what the peer and the state machine tell it
// (leadership, a change to the operations state), its own wake-up, and the
// introspector's question. Its handle goes to the peer as a caf::actor (the peer's
// subscribers are the gateway too), and it asks the peer with request(), which CAF 0.17
// allows a typed actor towards a dynamically typed one.
using ReceiptSigner = caf::typed_actor<caf::reacts_to<leadership_atom, bool, std::uint64_t>,
                                       caf::reacts_to<ops_changed_atom, bool, bool, bool>, caf::reacts_to<wake_atom>,
                                       caf::replies_to<inspect_atom>::with<ReportPtr>>;

ReceiptSigner::behavior_type receipt_signer(ReceiptSigner::stateful_pointer<SignerState> self, SignerSetupPtr setup);

}  // namespace raftor::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(raftor::actors::SignerSetupPtr)
