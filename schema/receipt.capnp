# Execution receipts: one chain in log order, signed a batch at a time over a Merkle
# root (runtime/crypto/receipt.hpp). Field numbers are never reused.
@0xd3b1a2f0c9e84a57;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("raftor::schema");

struct Receipt {
  sequence @0 :UInt64;       # position in the chain, from 1
  executionId @1 :Text;
  operationId @2 :Text;
  node @3 :Text;             # where the handler ran
  startedAtMs @4 :UInt64;
  finishedAtMs @5 :UInt64;
  status @6 :Text;
  inputHash @7 :Data;        # SHA-256
  outputHash @8 :Data;
  prevHash @9 :Data;         # SHA-256 of the previous receipt (zeros for the first)
  # The batch it was signed in: its Merkle root, where it sits, the proof, the signature.
  signer @10 :Text;
  batchRoot @11 :Data;
  batchIndex @12 :UInt32;
  batchSize @13 :UInt32;
  proof @14 :List(Data);
  signature @15 :Data;       # Ed25519 over "raftor receipt batch v1" || batchRoot
}

struct ReceiptList {
  receipts @0 :List(Receipt);
}
