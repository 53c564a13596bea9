#pragma once
// GET /metrics and its windows (/metrics/7d, /metrics/month, ...), and the route
// patterns HTTP requests are counted under. Pure: no I/O.
#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/http/message.hpp"

namespace raftor::http {

struct MetricsCall {
    bool json = false;           // the runbook's JSON summary instead of Prometheus text
    std::int64_t window_ms = 0;  // > 0: executions finished within this window only (JSON)
    std::string window;          // as asked: "7d", "month", ...
};

bool is_metrics_path(const std::string& path);
// Answers the request, or says what to gather (`call`) when it is good.
struct Routed;
Routed route_metrics(const Request& req, const std::string& path,
                     const std::vector<std::pair<std::string, std::string>>& query);

// "/operations/:id/history" for "/operations/backup/history": a bounded label for the
// request counters (unknown paths are "other").
const char* route_pattern(std::string_view target);  // a literal: nothing to allocate per request

}  // namespace raftor::http
