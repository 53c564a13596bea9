#include "runtime/http/metrics_api.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "runtime/http/api.hpp"
#include "runtime/http/errors.hpp"

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

// One media range of an Accept header, lowercased, with its weight (RFC 9110 12.5.1).
struct MediaRange {
    std::string type;  // "text/plain", "application/*", "*/*"
    double q = 1;
};

std::string trim_lower(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::vector<MediaRange> media_ranges(std::string_view accept) {
    std::vector<MediaRange> out;
    while (!accept.empty() && out.size() < 32) {  // a bound on what a stranger makes us parse
        const auto comma = accept.find(',');
        std::string_view part = accept.substr(0, comma);
        accept = comma == std::string_view::npos ? std::string_view{} : accept.substr(comma + 1);
        MediaRange r;
        const auto semi = part.find(';');
        r.type = trim_lower(part.substr(0, semi));
        if (r.type.empty()) continue;
        std::string_view params = semi == std::string_view::npos ? std::string_view{} : part.substr(semi + 1);
        while (!params.empty()) {
            const auto next = params.find(';');
            const std::string p = trim_lower(params.substr(0, next));
            params = next == std::string_view::npos ? std::string_view{} : params.substr(next + 1);
            if (p.rfind("q=", 0) != 0) continue;
            char* end = nullptr;
            const double q = std::strtod(p.c_str() + 2, &end);
            r.q = (end != p.c_str() + 2 && q >= 0 && q <= 1) ? q : 0;  // a bad weight: not acceptable
        }
        out.push_back(std::move(r));
    }
    return out;
}

// How much the client wants `type` ("application/json"): the weight of the most specific
// range that matches it, or -1 when none does.
double weight_of(const std::vector<MediaRange>& ranges, std::string_view type) {
    const std::string_view major = type.substr(0, type.find('/'));
    double best = -1;
    int best_rank = -1;
    for (const auto& r : ranges) {
        int rank = -1;
        if (r.type == type)
            rank = 2;
        else if (r.type.size() == major.size() + 2 && r.type.compare(0, major.size(), major) == 0 &&
                 r.type.compare(major.size(), 2, "/*") == 0)
            rank = 1;
        else if (r.type == "*/*")
            rank = 0;
        if (rank > best_rank) best_rank = rank, best = r.q;
    }
    return best;
}

}  // namespace

MetricsFormat negotiate_metrics(std::string_view accept) {
    const auto ranges = media_ranges(accept);
    if (ranges.empty()) return MetricsFormat::json;  // curl, a browser's address bar: the summary
    // What Prometheus asks for (OpenMetrics first, then text 0.0.4) is answered with text
    // 0.0.4, which it accepts; JSON wins a tie, so "*/*" alone gets the summary.
    const double json = weight_of(ranges, "application/json");
    const double text = std::max({weight_of(ranges, "text/plain"), weight_of(ranges, "application/openmetrics-text")});
    if (json <= 0 && text <= 0) return MetricsFormat::none;
    return json >= text ? MetricsFormat::json : MetricsFormat::text;
}

bool is_metrics_path(const std::string& path) {
    return path == "/metrics" || path.rfind("/metrics/", 0) == 0;
}

Routed route_metrics(const Request& req, const std::string& path,
                     const std::vector<std::pair<std::string, std::string>>& query) {
    if (!is_get(req)) return method_not_allowed(req, path, "GET");
    MetricsCall call;
    const auto accept = req.headers.find("accept");
    const MetricsFormat format = negotiate_metrics(accept == req.headers.end() ? "" : accept->second);
    call.json = format == MetricsFormat::json;
    bool format_given = false;
    for (const auto& [k, v] : query) {
        if (k != "format")
            return bad_request("unknown_parameter", "unknown query parameter",
                               "'" + k + "' is not a parameter of GET " + path + " (format=json|text is)");
        if (v != "json" && v != "text")
            return bad_request("bad_format", "bad format", "format must be json or text, not '" + v + "'");
        call.json = v == "json";
        format_given = true;
    }
    if (path.size() > 9) {
        call.window = path.substr(9);
        call.window_ms = window_of(call.window);
        if (call.window_ms <= 0)
            return bad_request(
                "bad_window", "bad metrics window",
                "'" + call.window + "' is not a window: use a number with s, m, h or d (7d, 24h), or day, week, month");
        call.json = true;  // a window is a summary; Prometheus computes its own windows
        format_given = true;
    }
    if (format == MetricsFormat::none && !format_given) {
        Routed out;
        out.response = error_response(406, "not_acceptable", "no acceptable format",
                                      "GET /metrics answers application/json (the summary), or text/plain and "
                                      "application/openmetrics-text (Prometheus text 0.0.4); Accept asked for "
                                      "neither (or use ?format=json|text)");
        return out;
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
