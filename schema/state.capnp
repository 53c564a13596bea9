# Replicated state-machine commands and snapshots. Field numbers are never reused.
@0xc14671674604cceb;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("raftor::schema");

using Ops = import "operations.capnp";
using Membership = import "membership.capnp";

# Who sent a command, so a retried request (after a timeout or a leader change)
# is applied once: the state machine remembers each client's latest sequence.
struct RequestId {
  client @0 :UInt64;
  seq @1 :UInt64;
}

struct KvPut {
  key @0 :Text;
  value @1 :Data;
  # Compare-and-set: apply only if the key's revision is this (0 = must not exist).
  hasPrevRevision @2 :Bool;
  prevRevision @3 :UInt64;
}

struct KvDelete {
  key @0 :Text;
  hasPrevRevision @1 :Bool;
  prevRevision @2 :UInt64;
}

# The payload of a normal Raft entry.
struct Command {
  request @0 :RequestId;
  union {
    kvPut @1 :KvPut;
    kvDelete @2 :KvDelete;
    putOperation @3 :Ops.PutOperation;
    deleteOperation @4 :Text;
    execute @5 :Ops.ExecuteOperation;
    fire @6 :Ops.FireSlot;
    event @7 :Ops.PublishEvent;
    start @8 :Ops.StartList;
    finish @9 :Ops.FinishList;
    recover @10 :Void;          # a new leader resolves executions its predecessors left running
    nodeKey @11 :Ops.NodeKey;
    seal @12 :Ops.SealReceipts;
    fires @14 :List(Ops.FireSlot);  # every slot one scheduler wake-up found due, in one entry
    replay @15 :Ops.Replay;     # run again what was lost since a time (POST /daemon/replay)
    leaderTick @16 :Text;       # the leader's name, every 10 s while it leads (uptime, failovers)
    fireIdle @17 :Ops.FireSlot; # an idle trigger due; slotMs is the start of the idle period
  }
  atMs @13 :Int64;             # the proposer's wall clock: creation times, retention, backoff
}

struct KvPair {
  key @0 :Text;
  value @1 :Data;
  revision @2 :UInt64;        # revision of the last change
  createRevision @3 :UInt64;
}

struct ClientSession {
  client @0 :UInt64;
  seq @1 :UInt64;
  revision @2 :UInt64;        # the result of that request
  ok @3 :Bool;
  touched @4 :UInt64;         # when it was last used, in requests applied (the oldest is dropped first)
}

struct StateSnapshot {
  appliedIndex @0 :UInt64;
  revision @1 :UInt64;
  kv @2 :List(KvPair);
  sessions @3 :List(ClientSession);
  operations @4 :Ops.OperationsSnapshot;
  members @5 :List(Membership.Member);  # members added at run time (their addresses)
}
