#pragma once
// The commands that change operations, executions and receipts: what a Raft entry
// carries (schema/operations.capnp), as plain values.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "runtime/crypto/ed25519.hpp"
#include "runtime/state/execution.hpp"
#include "runtime/state/kv_store.hpp"
#include "runtime/state/operation.hpp"

namespace raftor::state {

struct PutOperation {
    OperationSpec spec;
    bool create_only = false;
};
struct DeleteOperation {
    std::string id;
};
struct ExecuteOperation {
    std::string id;
    std::string input;
};
struct FireSlot {
    std::string id;
    std::int64_t slot_ms = 0;
};
// The slots one scheduler wake-up found due: one entry, one creation time for all.
struct FireBatch {
    std::vector<FireSlot> fires;
};
// Run again what was lost since `since_ms` (POST /daemon/replay). `slots` are the
// slots the leader's schedules had from then to the entry's time; the state machine
// fires those with no success, and runs again failed executions of that window.
struct Replay {
    std::int64_t since_ms = 0;
    std::vector<FireSlot> slots;
};
// An idle trigger due: the cluster has run nothing since `idle_from_ms` for the
// operation's threshold (the state machine checks it is still so).
struct FireIdle {
    std::string id;
    std::int64_t idle_from_ms = 0;
};
struct PublishEvent {
    std::string topic;
    std::string body;
};
struct StartExecution {
    std::uint64_t execution = 0;
    std::uint32_t attempt = 0;
    std::string node;
    std::int64_t started_at_ms = 0;
};
struct FinishExecution {
    std::uint64_t execution = 0;
    std::uint32_t attempt = 0;
    ExecStatus status = ExecStatus::success;
    std::int32_t exit_code = 0;
    std::int64_t finished_at_ms = 0;
    std::uint64_t duration_ms = 0;
    std::string output;
    crypto::Digest output_hash{};
};
struct StartBatch {
    std::vector<StartExecution> starts;
};
struct FinishBatch {
    std::vector<FinishExecution> finishes;
};
struct Recover {};
// The leader says it still leads (every leader_tick_ms): how long the cluster had a
// leader is read from these, so an idle cluster's uptime is known too.
struct LeaderTick {
    std::string node;
};
struct RegisterKey {
    std::string node;
    crypto::PublicKey key{};
};
struct SealReceipts {
    std::uint64_t first = 0;
    std::uint32_t count = 0;
    crypto::Digest root{};
    std::string signer;
    crypto::Signature signature{};
};

using OpsBody = std::variant<PutOperation, DeleteOperation, ExecuteOperation, FireSlot, FireBatch, PublishEvent,
                             StartBatch, FinishBatch, Recover, RegisterKey, SealReceipts, Replay, LeaderTick, FireIdle>;

struct OpsCommand {
    RequestId request;
    std::int64_t at_ms = 0;  // the proposer's wall clock
    OpsBody body;
};

// Any entry payload: a key-value command or an operations command.
using Command = std::variant<KvCommand, OpsCommand>;

std::string encode_ops_command(const OpsCommand& cmd);
std::optional<Command> decode_any_command(std::string_view bytes, std::string& error);

// Limits a command is checked against when decoded (bad bytes never apply).
constexpr std::size_t ops_input_bytes_max = 1 << 20;
constexpr std::size_t ops_output_bytes_max = 1 << 20;
constexpr std::size_t ops_batch_max = 4096;
// Executions one replay may create (slots listed, or failed ones run again).
constexpr std::size_t replay_max = 10'000;

}  // namespace raftor::state
