# Operations, their executions and the receipt chain: the commands that change them
# and their part of a state snapshot. Field numbers are never reused.
@0xb7c2e04d5a1f9e63;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("raftor::schema");

enum HandlerKind {
  exec @0;
  http @1;
  shell @2;
  noop @3;
  sleep @4;
  fail @5;
  echo @6;
}

struct StringPair {
  key @0 :Text;
  value @1 :Text;
}

struct Handler {
  kind @0 :HandlerKind;
  argv @1 :List(Text);
  env @2 :List(StringPair);
  cwd @3 :Text;
  method @4 :Text;
  url @5 :Text;
  headers @6 :List(StringPair);
  body @7 :Data;
  command @8 :Text;
  sleepMs @9 :UInt64;
  message @10 :Text;
}

enum Concurrency {
  allow @0;
  forbid @1;
  replace @2;
}

enum CatchUp {
  skip @0;
  once @1;
  all @2;
}

enum OnLeaderLoss {
  retry @0;
  abandon @1;
}

struct Operation {
  id @0 :Text;
  name @1 :Text;
  handler @2 :Handler;
  hasSchedule @3 :Bool;
  schedule @4 :Text;
  topics @5 :List(Text);
  afterSuccess @6 :List(Text);
  afterFailure @7 :List(Text);
  timeoutMs @8 :UInt64;
  retries @9 :UInt32;
  retryBackoffMs @10 :UInt64;
  concurrency @11 :Concurrency;
  catchUp @12 :CatchUp;
  onLeaderLoss @13 :OnLeaderLoss;
  # The rest of the retry policy; the defaults are what an operation had before them.
  retryMultiplier @14 :Float64 = 2.0;
  retryMaxBackoffMs @15 :UInt64 = 30000;
  retryJitter @16 :Float64 = 0.1;
  eventFilter @17 :List(StringPair);  # dotted path in the event body -> the JSON value there
  idleThresholdMs @18 :UInt64;        # fire once the cluster has run nothing this long (0: never)
}

enum ExecStatus {
  queued @0;
  running @1;
  retrying @2;
  success @3;
  failed @4;
  timeout @5;
  interrupted @6;
  cancelled @7;
  skipped @8;
}

enum Cause {
  manual @0;
  schedule @1;
  event @2;
  afterSuccess @3;
  afterFailure @4;
  replay @5;                  # POST /daemon/replay: a lost slot or a failed execution run again
  idle @6;                    # the cluster ran nothing for the operation's idleThresholdMs
}

# ---- commands (members of state.capnp's Command union)

struct PutOperation {
  operation @0 :Operation;
  createOnly @1 :Bool;        # POST: refuse when the id exists
}

struct ExecuteOperation {
  operationId @0 :Text;
  input @1 :Data;
}

# "Fire schedule S for slot T": the first for a slot is accepted, any later one ignored.
struct FireSlot {
  operationId @0 :Text;
  slotMs @1 :Int64;
}

# "Replay what was lost since T" (POST /daemon/replay): the leader lists the slots its
# schedules had since T; the state machine decides, from the log alone, what runs again.
struct Replay {
  sinceMs @0 :Int64;
  slots @1 :List(FireSlot);
}

struct PublishEvent {
  topic @0 :Text;
  body @1 :Data;
}

struct StartExecution {
  executionId @0 :UInt64;
  attempt @1 :UInt32;         # 1 for the first try
  node @2 :Text;
  startedAtMs @3 :Int64;
}

struct FinishExecution {
  executionId @0 :UInt64;
  attempt @1 :UInt32;
  status @2 :ExecStatus;      # success, failed or timeout
  exitCode @3 :Int32;
  finishedAtMs @4 :Int64;
  durationMs @5 :UInt64;
  output @6 :Data;            # capped
  outputHash @7 :Data;        # SHA-256 of all the output, not only what was kept
}

struct NodeKey {
  node @0 :Text;
  publicKey @1 :Data;         # Ed25519, 32 bytes
}

struct SealReceipts {
  firstSequence @0 :UInt64;
  count @1 :UInt32;
  root @2 :Data;
  signer @3 :Text;
  signature @4 :Data;
}

struct StartList {
  starts @0 :List(StartExecution);
}

struct FinishList {
  finishes @0 :List(FinishExecution);
}

# ---- snapshot

struct OperationEntry {
  operation @0 :Operation;
  version @1 :UInt64;
  createdAtMs @2 :Int64;
  updatedAtMs @3 :Int64;
  lastSlotMs @4 :Int64;
  definedIndex @5 :UInt64;     # the log index of the put that set this definition
  scheduleSetMs @6 :Int64;     # when the schedule was last set: no slot before it is owed
  idleFiredForMs @7 :Int64;    # the idle period (its start) its idle trigger last fired for
}

struct Execution {
  id @0 :UInt64;
  operationId @1 :Text;
  cause @2 :Cause;
  status @3 :ExecStatus;
  attempt @4 :UInt32;
  node @5 :Text;
  createdAtMs @6 :Int64;
  startedAtMs @7 :Int64;
  finishedAtMs @8 :Int64;
  retryAtMs @9 :Int64;
  slotMs @10 :Int64;
  durationMs @11 :UInt64;
  exitCode @12 :Int32;
  startTerm @13 :UInt64;
  input @14 :Data;
  inputHash @15 :Data;
  outputHash @16 :Data;
  output @17 :Data;
  receiptSequence @18 :UInt64;
  receiptHash @19 :Data;
  detail @20 :Text;
  operationVersion @21 :UInt64;  # of the definition it was created from (its input hash covers it)
  replayOf @22 :UInt64;          # cause replay: the execution it runs again (0: a lost slot)
}

struct Seal {
  firstSequence @0 :UInt64;
  count @1 :UInt32;
  root @2 :Data;
  signer @3 :Text;
  signature @4 :Data;
}

# A client's latest deduplicated request (X-Client-Id / X-Request-Seq) and its result.
struct OpsSession {
  client @0 :UInt64;
  seq @1 :UInt64;
  touched @2 :UInt64;          # the session clock when last used: the oldest goes first
  code @3 :UInt8;
  detail @4 :Text;
  executions @5 :List(UInt64);
  version @6 :UInt64;
}

struct OperationsSnapshot {
  nextExecutionId @0 :UInt64;
  operations @1 :List(OperationEntry);
  active @2 :List(Execution);
  history @3 :List(Execution);
  chainSequence @4 :UInt64;
  chainHead @5 :Data;
  sealedThrough @6 :UInt64;
  seals @7 :List(Seal);
  keys @8 :List(NodeKey);
  historyBaseSequence @9 :UInt64;   # the chain before the oldest receipt kept
  historyBaseHash @10 :Data;
  sessions @11 :List(OpsSession);
  sessionClock @12 :UInt64;
  figures @13 :OpsFigures;
  historyDroppedThroughMs @14 :Int64;  # the latest finish time of an execution dropped (0: none)
  rollups @15 :Rollups;
  leaderTerms @16 :List(LeaderTerm);
  lastActivityMs @17 :Int64;   # the latest creation or finish of an execution not caused by idleness
}

# Per-minute figures of final executions, per operation (runtime/state/rollups.hpp).
struct Rollups {
  operations @0 :List(Text);   # the names the minutes' words index
  minutes @1 :List(RollupMinute);
}

struct RollupMinute {
  startMs @0 :Int64;
  words @1 :List(UInt32);      # runs of [operation, field count, duration sum lo, hi, fields...]
}

# A term that committed an entry, as the log records it (runtime/state/leader_terms.hpp).
struct LeaderTerm {
  term @0 :UInt64;
  node @1 :Text;
  fromMs @2 :Int64;
  lastMs @3 :Int64;
  follows @4 :Bool;            # another term came before it: a leader change
}

# The cluster's operations figures (runtime/state/ops_figures.hpp).
struct OpsFigures {
  byStatus @0 :List(UInt64);   # final executions, indexed by ExecStatus
  buckets @1 :List(UInt64);    # handler durations, by the histogram's bounds, then +Inf
  durationCount @2 :UInt64;
  durationSumMs @3 :UInt64;
}
