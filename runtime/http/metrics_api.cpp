#include "runtime/http/metrics_api.hpp"

#include "runtime/http/api.hpp"

namespace raftor::http {

namespace {

// "7d", "24h", "90m", "30s", "month" (30 days), "week": the window in milliseconds, or 0.
std::int64_t window_of(const std::string& w) {
    if (w == "month") return 30LL * 86'400'000;
    if (w == "week") return 7LL * 86'400'000;
    if (w == "day") return 86'400'000;
    if (w.size() < 2 || w.size() > 8) return 0;
    std::int64_t n = 0;
    for (std::size_t i = 0; i + 1 < w.size(); ++i) {
        if (w[i] < '0' || w[i] > '9') return 0;
        n = n * 10 + (w[i] - '0');
    }
    switch (w.back()) {
        case 's': return n * 1000;
        case 'm': return n * 60'000;
        case 'h': return n * 3'600'000;
        case 'd': return n * 86'400'000;
        default: return 0;
    }
}

bool wants_json(const Request& req) {
    auto it = req.headers.find("accept");
    return it != req.headers.end() && it->second.find("application/json") != std::string::npos;
}

}  // namespace

bool is_metrics_path(const std::string& path) {
    return path == "/metrics" || path.rfind("/metrics/", 0) == 0;
}

Routed route_metrics(const Request& req, const std::string& path,
                     const std::vector<std::pair<std::string, std::string>>& query) {
    if (!is_get(req)) return method_not_allowed(req, path, "GET");
    MetricsCall call;
    call.json = wants_json(req);
    for (const auto& [k, v] : query) {
        if (k != "format")
            return bad_request("unknown_parameter", "unknown query parameter",
                               "'" + k + "' is not a parameter of GET " + path + " (format=json|text is)");
        if (v != "json" && v != "text")
            return bad_request("bad_format", "bad format", "format must be json or text, not '" + v + "'");
        call.json = v == "json";
    }
    if (path.size() > 9) {
        call.window = path.substr(9);
        call.window_ms = window_of(call.window);
        if (call.window_ms <= 0)
            return bad_request(
                "bad_window", "bad metrics window",
                "'" + call.window + "' is not a window: use a number with s, m, h or d (7d, 24h), or day, week, month");
        call.json = true;  // a window is a summary; Prometheus computes its own windows
    }
    Routed out;
    out.call = call;
    return out;
}

const char* route_pattern(std::string_view target) {
    const std::string_view path = target.substr(0, target.find('?'));
    static const char* exact[] = {"/health",         "/health/live",  "/health/ready",  "/health/startup",
                                  "/health/cluster", "/operations",   "/queue",         "/metrics",
                                  "/debug/actors",   "/receipts",     "/console",       "/shutdown",
                                  "/admin/snapshot", "/admin/drain",  "/admin/undrain", "/admin/transfer-leader",
                                  "/admin/members",  "/admin/backup", "/admin/storage"};
    for (const char* e : exact)
        if (path == e) return e;
    auto starts = [&](std::string_view p) { return path.substr(0, p.size()) == p; };
    auto ends = [&](std::string_view p) { return path.size() >= p.size() && path.substr(path.size() - p.size()) == p; };
    if (starts("/operations/")) {
        const auto rest = path.substr(12);
        const auto slash = rest.find('/');
        if (slash == std::string_view::npos) return "/operations/:id";
        return rest.substr(slash) == "/history" ? "/operations/:id/history" : "other";
    }
    if (starts("/debug/actors/") && path.size() > 20 && ends("/trace")) return "/debug/actors/:name/trace";
    // Prefix, then what the rest is called.
    static const std::pair<const char*, const char*> params[] = {{"/kv/", "/kv/:key"},
                                                                 {"/execute/", "/execute/:id"},
                                                                 {"/executions/", "/executions/:id"},
                                                                 {"/receipts/", "/receipts/:id"},
                                                                 {"/events/", "/events/:topic"},
                                                                 {"/metrics/", "/metrics/:window"},
                                                                 {"/debug/actors/", "/debug/actors/:name"},
                                                                 {"/console/", "/console/:file"},
                                                                 {"/admin/", "/admin/:action"}};
    for (const auto& [prefix, name] : params)
        if (starts(prefix)) return name;
    return "other";
}

}  // namespace raftor::http
