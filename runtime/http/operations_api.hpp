#pragma once
// The operations API as pure functions: /operations, /execute/:id, /executions/:id,
// /events/:topic, /queue, /receipts. Requests become an OpsWrite (a command to
// propose) or an OpsRead (rendered from the operations state machine); results
// become JSON responses. No I/O.
#include <optional>
#include <string>

#include "runtime/crypto/receipt.hpp"
#include "runtime/http/api.hpp"
#include "runtime/http/operation_cache.hpp"
#include "runtime/state/ops_machine.hpp"

namespace raftor::http {

bool is_operations_path(const std::string& path);
Routed route_operations(const Request& req, const std::string& path, const QueryItems& query, const ApiOptions& opts);

// A replay's answer lists its executions as GET /executions/:id shows those in `details`.
Response ops_written(const OpsWrite& w, const state::OpsResult& r, const std::vector<state::Execution>& details = {});
// With a cache, operations' definitions are rendered once per version.
Response ops_read(const OpsRead& q, const state::OpsMachine& m, OperationCache* cache = nullptr);

// ops_read in two steps, so the state's owner only copies: what a read needs, copied out
// of the state (at most a page, nothing rendered), then the answer rendered from the
// copy, on any thread (the gateway's).
struct OpsReadCopy {
    struct Definition {
        state::OperationEntry entry;
        std::size_t running = 0;
    };
    std::vector<Definition> definitions;       // list, get
    bool known = false;                        // history: the operation exists or has executions
    std::vector<state::Execution> executions;  // history, queue, execution; receipt: its execution
    std::size_t active_total = 0;              // queue
    std::optional<crypto::Receipt> receipt;    // receipt
    std::vector<crypto::Receipt> receipts;     // receipts
    crypto::KeyRing keys;                      // receipts
    std::uint64_t sealed_through = 0, base_sequence = 0, chain_sequence = 0;
    crypto::Digest base_hash{}, chain_head{};
};
OpsReadCopy ops_read_copy(const OpsRead& q, const state::OpsMachine& m);
Response ops_render(const OpsRead& q, const OpsReadCopy& copy, OperationCache* cache = nullptr);
// An execution, as GET /executions/:id shows it; nullopt while it is not final.
std::optional<Response> execution_if_final(std::uint64_t id, const state::OpsMachine& m);
// 202: an execution waited for did not end within the wait.
Response execution_pending(std::uint64_t id);

// Receipts in JSON (GET /receipts), and back (raftor ctl receipts verify).
std::string receipt_json(const crypto::Receipt& r, bool sealed);
struct ReceiptDump {
    std::vector<crypto::Receipt> receipts;
    crypto::KeyRing keys;
    std::uint64_t base_sequence = 0;
    crypto::Digest base_hash{};
    crypto::ChainEnd head;
    std::uint64_t sealed_through = 0;
    // Each receipt's "hash" as the file states it (absent: nothing stated). Derived, so
    // a verifier checks it against the receipt's contents rather than trusting it.
    std::vector<std::optional<crypto::Digest>> stated_hashes;
};
std::optional<ReceiptDump> receipts_from_json(const std::string& body, std::string& error);

}  // namespace raftor::http
