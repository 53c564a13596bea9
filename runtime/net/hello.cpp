#include "runtime/net/hello.hpp"

#include "runtime/raft/capnp_io.hpp"
#include "schema/peer.capnp.h"

namespace raftor::net {

std::string encode_hello(const Hello& h) {
    capnp::MallocMessageBuilder mb;
    auto b = mb.initRoot<schema::Hello>();
    b.setMagic(hello_magic);
    b.setProtocolVersion(h.protocol_version);
    b.setClusterId(h.cluster_id);
    b.setNodeId(h.node_id);
    b.setHttpAddress(h.http_address);
    b.setHttpsAddress(h.https_address);
    b.setMinProtocolVersion(h.min_protocol_version);
    b.setToNodeId(h.to_node_id);
    b.setNonce(kj::arrayPtr(reinterpret_cast<const capnp::byte*>(h.nonce.data()), h.nonce.size()));
    return raft::detail::to_bytes(mb);
}

std::string encode_proof(const HelloProof& p) {
    capnp::MallocMessageBuilder mb;
    auto b = mb.initRoot<schema::HelloProof>();
    b.setMagic(hello_magic);
    b.setNonce(kj::arrayPtr(reinterpret_cast<const capnp::byte*>(p.nonce.data()), p.nonce.size()));
    b.setProof(kj::arrayPtr(reinterpret_cast<const capnp::byte*>(p.proof.data()), p.proof.size()));
    return raft::detail::to_bytes(mb);
}

std::optional<std::string> decode_proof(std::string_view bytes, HelloProof& out) {
    std::string error;
    auto ok = raft::detail::decode_root<schema::HelloProof>(
        bytes, error, "handshake proof", [&](schema::HelloProof::Reader r) -> std::optional<bool> {
            if (r.getMagic() != hello_magic) {
                error = "not a raftor handshake proof (bad magic)";
                return std::nullopt;
            }
            auto n = r.getNonce();
            auto p = r.getProof();
            out.nonce.assign(reinterpret_cast<const char*>(n.begin()), n.size());
            out.proof.assign(reinterpret_cast<const char*>(p.begin()), p.size());
            return true;
        });
    if (!ok) return error;
    return std::nullopt;
}

std::optional<std::string> check_hello(std::string_view bytes, const Hello& ours, Hello& theirs) {
    std::string error;
    auto ok = raft::detail::decode_root<schema::Hello>(
        bytes, error, "handshake", [&](schema::Hello::Reader r) -> std::optional<bool> {
            if (r.getMagic() != hello_magic) {
                error = "not a raftor peer (bad magic)";
                return std::nullopt;
            }
            theirs.protocol_version = r.getProtocolVersion();
            // A hello without a minimum (an older build) speaks its one version.
            theirs.min_protocol_version =
                r.getMinProtocolVersion() == 0 ? r.getProtocolVersion() : r.getMinProtocolVersion();
            theirs.cluster_id = r.getClusterId().cStr();
            theirs.node_id = r.getNodeId();
            theirs.http_address = r.getHttpAddress().cStr();
            theirs.https_address = r.getHttpsAddress().cStr();
            theirs.to_node_id = r.getToNodeId();
            auto n = r.getNonce();
            theirs.nonce.assign(reinterpret_cast<const char*>(n.begin()), n.size());
            return true;
        });
    if (!ok) return error;
    if (theirs.min_protocol_version > theirs.protocol_version)
        return "node " + std::to_string(theirs.node_id) + " sent a bad handshake: oldest protocol " +
               std::to_string(theirs.min_protocol_version) + " is newer than its protocol " +
               std::to_string(theirs.protocol_version);
    auto range = [](const Hello& h) {
        return h.min_protocol_version == h.protocol_version
                   ? std::to_string(h.protocol_version)
                   : std::to_string(h.min_protocol_version) + ".." + std::to_string(h.protocol_version);
    };
    if (theirs.protocol_version < ours.min_protocol_version || ours.protocol_version < theirs.min_protocol_version)
        return "node " + std::to_string(theirs.node_id) + " speaks peer protocol " + range(theirs) +
               ", this node speaks " + range(ours) +
               ": no version in common (upgrade one release at a time; each still speaks the one before)";
    if (theirs.cluster_id != ours.cluster_id)
        return "node " + std::to_string(theirs.node_id) + " belongs to cluster '" + theirs.cluster_id +
               "', this node to '" + ours.cluster_id + "'";
    return std::nullopt;
}

}  // namespace raftor::net
