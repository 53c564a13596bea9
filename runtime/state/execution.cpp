#include "runtime/state/execution.hpp"

#include <algorithm>

namespace raftor::state {

const char* to_string(ExecStatus s) {
    switch (s) {
        case ExecStatus::queued: return "queued";
        case ExecStatus::running: return "running";
        case ExecStatus::retrying: return "retrying";
        case ExecStatus::success: return "success";
        case ExecStatus::failed: return "failed";
        case ExecStatus::timeout: return "timeout";
        case ExecStatus::interrupted: return "interrupted";
        case ExecStatus::cancelled: return "cancelled";
        case ExecStatus::skipped: return "skipped";
    }
    return "?";
}

bool is_final(ExecStatus s) {
    return s != ExecStatus::queued && s != ExecStatus::running && s != ExecStatus::retrying;
}

const char* to_string(Cause c) {
    switch (c) {
        case Cause::manual: return "manual";
        case Cause::schedule: return "schedule";
        case Cause::event: return "event";
        case Cause::after_success: return "afterSuccess";
        case Cause::after_failure: return "afterFailure";
        case Cause::replay: return "replay";
        case Cause::idle: return "idle";
    }
    return "?";
}

std::string execution_id_string(std::uint64_t id) {
    return "ex-" + std::to_string(id);
}

std::uint64_t parse_execution_id(const std::string& s) {
    std::string digits = s.rfind("ex-", 0) == 0 ? s.substr(3) : s;
    if (digits.empty() || digits.size() > 19) return 0;
    std::uint64_t v = 0;
    for (char c : digits) {
        if (c < '0' || c > '9') return 0;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return v;
}

crypto::Digest input_hash_of(const std::string& operation, std::uint64_t version, Cause cause, std::int64_t slot_ms,
                             const std::string& input) {
    // What ran with what: the operation's version, why it ran, and its input.
    return crypto::sha256(
        {"raftor input v1", operation, std::to_string(version), to_string(cause), std::to_string(slot_ms), input});
}

void keep_final_only(Execution& e) {
    if (e.input.size() > final_input_max) e.input.clear();
    e.retry_at_ms = 0;
    e.start_term = 0;
}

crypto::Receipt receipt_fields(const Execution& e) {
    crypto::Receipt r;
    r.execution_id = execution_id_string(e.id);
    r.operation_id = e.operation;
    r.node = e.node;
    r.started_at_ms = static_cast<std::uint64_t>(std::max<std::int64_t>(0, e.started_ms));
    r.finished_at_ms = static_cast<std::uint64_t>(std::max<std::int64_t>(0, e.finished_ms));
    r.status = to_string(e.status);
    r.input_hash = e.input_hash;
    r.output_hash = e.output_hash;
    return r;
}

}  // namespace raftor::state
