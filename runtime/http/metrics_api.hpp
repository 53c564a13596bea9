#pragma once
// GET /metrics and its windows (/metrics/7d, /metrics/month, ...), and the route
// patterns HTTP requests are counted under. Pure: no I/O.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/http/message.hpp"

namespace raftor::http {

struct MetricsCall {
    bool json = false;           // the runbook's JSON summary instead of Prometheus text
    std::int64_t window_ms = 0;  // > 0: executions finished within this window only (JSON)
    std::string window;          // as asked: "7d", "month", ...
};

// What GET /metrics answers, from the request's Accept header: Prometheus's (OpenMetrics
// or text/plain) gets the exposition text; none, "*/*" (curl's) or application/json gets
// the JSON summary; a header that allows neither, `none` (406).
enum class MetricsFormat { json, text, none };
MetricsFormat negotiate_metrics(std::string_view accept);

bool is_metrics_path(const std::string& path);
// Answers the request, or says what to gather (`call`) when it is good.
struct Routed;
Routed route_metrics(const Request& req, const std::string& path,
                     const std::vector<std::pair<std::string, std::string>>& query);

// "/operations/:id/history" for "/operations/backup/history": a bounded label for the
// request counters (unknown paths are "other").
const char* route_pattern(std::string_view target);  // a literal: nothing to allocate per request

}  // namespace raftor::http
