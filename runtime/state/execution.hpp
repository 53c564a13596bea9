#pragma once
// One execution of an operation, from the entry that created it to its receipt. The
// state machine owns these; the executor only proposes starts and finishes.
#include <cstdint>
#include <string>

#include "runtime/crypto/receipt.hpp"
#include "runtime/crypto/sha256.hpp"

namespace raftor::state {

enum class ExecStatus : std::uint8_t {
    queued,    // waiting for a free slot on the leader
    running,   // started (committed) and not finished
    retrying,  // a try failed or its leader was lost; the next try waits for retry_at_ms
    success,   // final from here on
    failed,
    timeout,
    interrupted,  // its leader was lost and the operation says abandon
    cancelled,    // its operation was deleted, or a newer run replaced it
    skipped,      // concurrency forbid: an earlier run was still running
};
const char* to_string(ExecStatus s);
bool is_final(ExecStatus s);

enum class Cause : std::uint8_t { manual, schedule, event, after_success, after_failure, replay, idle };
const char* to_string(Cause c);

struct Execution {
    std::uint64_t id = 0;
    std::string operation;
    std::uint64_t operation_version = 0;  // of the definition it was created from
    Cause cause = Cause::manual;
    ExecStatus status = ExecStatus::queued;
    std::uint32_t attempt = 0;  // tries started so far
    std::string node;           // where the latest try ran
    std::int64_t created_ms = 0, started_ms = 0, finished_ms = 0;
    std::int64_t retry_at_ms = 0;  // retrying: not before this
    std::int64_t slot_ms = 0;      // schedule: the slot it fires for
    std::uint64_t duration_ms = 0;
    std::int32_t exit_code = 0;
    std::uint64_t start_term = 0;  // the term of the entry that started the latest try
    std::string input;             // kept while it may still run; once final, only when short
    crypto::Digest input_hash{};
    crypto::Digest output_hash{};
    std::string output;  // capped by the executor
    std::uint64_t receipt_sequence = 0;
    crypto::Digest receipt_hash{};
    std::string detail;           // why it was cancelled, skipped or interrupted
    std::uint64_t replay_of = 0;  // cause replay: the execution it runs again (0: a slot that never ran)
};

// A final execution keeps an input up to this size; a longer one only by its hash.
constexpr std::size_t final_input_max = 64;

std::string execution_id_string(std::uint64_t id);
// "ex-12" or "12"; 0 when it is neither.
std::uint64_t parse_execution_id(const std::string& s);

// Drops what only an active execution needs (its retry time, its start term, an input
// longer than final_input_max: its hash stays), as it becomes final.
void keep_final_only(Execution& e);

// The hash of what an execution ran with: its operation's version, why it ran, its input.
crypto::Digest input_hash_of(const std::string& operation, std::uint64_t version, Cause cause, std::int64_t slot_ms,
                             const std::string& input);

// The fields of an execution's receipt (without its place in the chain or its batch).
crypto::Receipt receipt_fields(const Execution& e);

}  // namespace raftor::state
