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

Response ops_written(const OpsWrite& w, const state::OpsResult& r);
// With a cache, operations' definitions are rendered once per version.
Response ops_read(const OpsRead& q, const state::OpsMachine& m, OperationCache* cache = nullptr);
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
