# Who a member is, beyond its raft id: carried as the context of a conf-change entry
# (so every replica learns where a new member listens) and kept in the state snapshot
# (so a node restarted after compaction still knows). Field numbers are never reused.
@0xa3d1c0f5e2b74a19;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("raftor::schema");

struct Member {
  id @0 :UInt64;            # raft id, derived from the name
  name @1 :Text;            # e.g. node-4
  peerAddress @2 :Text;     # host:port of its peer transport
}
