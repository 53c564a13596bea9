# Raft's wire and disk formats: peer messages, log entries, hard state, snapshots.
# Field numbers are never reused; add new fields at the end.
@0x90fdeeda3e6e4cb4;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("raftor::schema");

enum EntryType {
  normal @0;
  confChange @1;
  noop @2;
}

struct Entry {
  term @0 :UInt64;
  index @1 :UInt64;
  type @2 :EntryType;
  payload @3 :Data;
}

struct HardState {
  term @0 :UInt64;
  vote @1 :UInt64;     # 0 = no vote in this term
  commit @2 :UInt64;
}

struct ConfState {
  voters @0 :List(UInt64);
  learners @1 :List(UInt64);
}

enum ConfChangeType {
  addVoter @0;
  removeVoter @1;
  addLearner @2;
  promoteLearner @3;
}

# Payload of an entry of type confChange. Carries the resulting configuration so
# that the configuration in force is read from the latest such entry alone.
struct ConfChange {
  type @0 :ConfChangeType;
  node @1 :UInt64;
  context @2 :Data;    # opaque to the core (the node's address, say)
  result @3 :ConfState;
}

struct SnapshotMeta {
  index @0 :UInt64;
  term @1 :UInt64;
  conf @2 :ConfState;
  checksum @3 :UInt32; # crc32c of the snapshot data
  size @4 :UInt64;     # bytes of snapshot data
}

enum MessageType {
  preVote @0;
  preVoteResp @1;
  vote @2;
  voteResp @3;
  append @4;
  appendResp @5;
  heartbeat @6;
  heartbeatResp @7;
  installSnapshot @8;
  installSnapshotResp @9;
  timeoutNow @10;
  readIndex @11;
  readIndexResp @12;
}

# One message between two Raft peers. Which fields count depends on type:
#   vote/preVote:     logTerm, index = candidate's last entry; transfer = from timeoutNow
#   append:           logTerm, index = entry before `entries`; commit; readSeq (a read round rides along)
#   appendResp:       index = last matching index; reject, rejectHint, conflictTerm
#   heartbeat(Resp):  commit, readSeq (ReadIndex confirmation round)
#   installSnapshot:  snapshot, chunkOffset, chunk, chunkLast
#   readIndex(Resp):  readContext = the requester's; index = read index, commit (as a heartbeat's)
struct Message {
  type @0 :MessageType;
  from @1 :UInt64;
  to @2 :UInt64;
  term @3 :UInt64;
  logTerm @4 :UInt64;
  index @5 :UInt64;
  entries @6 :List(Entry);
  commit @7 :UInt64;
  reject @8 :Bool;
  rejectHint @9 :UInt64;
  conflictTerm @10 :UInt64;
  transfer @11 :Bool;
  readSeq @12 :UInt64;
  snapshot @13 :SnapshotMeta;
  chunkOffset @14 :UInt64;
  chunk @15 :Data;
  chunkLast @16 :Bool;
  readContext @17 :Data;
}
