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
    return raft::detail::to_bytes(mb);
}

std::optional<std::string> check_hello(std::string_view bytes, const Hello& ours, Hello& theirs) {
    std::string error;
    auto ok = raft::detail::decode_root<schema::Hello>(
        bytes, error, "handshake", [&](schema::Hello::Reader r) -> std::optional<bool> {
            if (r.getMagic() != hello_magic) {
                error = "not a raftor peer (bad magic)";
                return std::nullopt;
            }
            theirs = Hello{r.getProtocolVersion(), r.getClusterId().cStr(), r.getNodeId(), r.getHttpAddress().cStr()};
            return true;
        });
    if (!ok) return error;
    if (theirs.protocol_version != ours.protocol_version)
        return "node " + std::to_string(theirs.node_id) + " speaks peer protocol " +
               std::to_string(theirs.protocol_version) + ", this node speaks " + std::to_string(ours.protocol_version);
    if (theirs.cluster_id != ours.cluster_id)
        return "node " + std::to_string(theirs.node_id) + " belongs to cluster '" + theirs.cluster_id +
               "', this node to '" + ours.cluster_id + "'";
    return std::nullopt;
}

}  // namespace raftor::net
