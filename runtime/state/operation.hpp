#pragma once
// An operation as operators register it (POST /operations): what runs, when, and the
// policies around it. Pure data; operation_json.hpp reads it from a request body and
// names the field that is wrong.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace raftor::state {

struct Handler {
    enum class Kind : std::uint8_t { exec, http, shell, noop, sleep, fail, echo } kind = Kind::noop;
    // exec: argv run directly (no shell), with env and cwd
    std::vector<std::string> argv;
    std::map<std::string, std::string> env;
    std::string cwd;
    // http: one request
    std::string method = "POST";
    std::string url;
    std::map<std::string, std::string> headers;
    std::string body;
    // shell: a plain string handler, run as /bin/sh -c only where the config allows it
    std::string command;
    // built-ins: sleep's duration, fail's and echo's message
    std::uint64_t sleep_ms = 0;
    std::string message;
};
const char* to_string(Handler::Kind k);

enum class Concurrency : std::uint8_t { allow, forbid, replace };
enum class CatchUp : std::uint8_t { skip, once, all };
enum class OnLeaderLoss : std::uint8_t { retry, abandon };
const char* to_string(Concurrency c);
const char* to_string(CatchUp c);
const char* to_string(OnLeaderLoss o);

struct OperationSpec {
    std::string id;
    std::string name;
    Handler handler;
    std::optional<std::string> schedule;                    // as given; checked with schedule::parse
    std::vector<std::string> topics;                        // POST /events/:topic fires it
    std::map<std::string, std::string> event_filter;        // ... when its body matches (event_filter.hpp)
    std::uint64_t idle_threshold_ms = 0;                    // fires once the cluster ran nothing this long
    std::vector<std::string> after_success, after_failure;  // other operations' ids
    std::uint64_t timeout_ms = 30'000;
    // The retry policy ({maxAttempts, backoffMs, backoffMultiplier, maxBackoffMs,
    // jitterFactor}): tries after the first, the wait before the second, its growth per
    // try, its cap (never below the first wait), and the share of it a jitter may take off.
    std::uint32_t retries = 2;
    std::uint64_t retry_backoff_ms = 1'000;
    double retry_multiplier = 2.0;
    std::uint64_t retry_max_backoff_ms = 30'000;
    double retry_jitter = 0.1;
    Concurrency concurrency = Concurrency::allow;
    CatchUp catch_up = CatchUp::all;
    OnLeaderLoss on_leader_loss = OnLeaderLoss::retry;
};

// Bounds, checked when an operation is registered.
constexpr std::size_t operation_id_max = 128;
constexpr std::uint64_t operation_timeout_ms_max = 24ull * 3600 * 1000;
constexpr std::uint32_t operation_retries_max = 100;
constexpr std::uint64_t operation_backoff_ms_max = 3600ull * 1000;
constexpr double operation_multiplier_max = 10.0;
constexpr std::uint64_t operation_idle_ms_min = 1000, operation_idle_ms_max = 366ull * 24 * 3600 * 1000;

}  // namespace raftor::state
