# The first frame on every peer connection. Field numbers are never reused.
@0x8fdd6679ffee4ccc;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("raftor::schema");

struct Hello {
  magic @0 :UInt64;           # 0x7261667430720001 ("raft0r", format 1): not a raftor peer otherwise
  protocolVersion @1 :UInt32; # peers speak only the same major protocol
  clusterId @2 :Text;         # a peer of another cluster is refused
  nodeId @3 :UInt64;
  httpAddress @4 :Text;      # host:port of the caller's HTTP gateway, where followers forward writes
  minProtocolVersion @5 :UInt32;  # the oldest protocol the caller still speaks (0: only protocolVersion)
  toNodeId @6 :UInt64;        # the node the caller means to reach (bound into the cluster-secret proofs)
  nonce @7 :Data;             # the caller's nonce, with a cluster secret (32 bytes)
  httpsAddress @8 :Text;      # host:port of its HTTPS gateway, with TLS (followers forward there then)
}

# With a cluster secret: the listener's answer to a hello (its nonce and proof), then
# the dialler's proof (no nonce). See runtime/net/peer_auth.hpp.
struct HelloProof {
  magic @0 :UInt64;           # as in Hello
  nonce @1 :Data;
  proof @2 :Data;
}
