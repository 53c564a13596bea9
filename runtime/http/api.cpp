#include "runtime/http/api.hpp"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "runtime/crypto/sha256.hpp"
#include "runtime/http/console_page.hpp"
#include "runtime/http/errors.hpp"
#include "runtime/http/json_depth.hpp"
#include "runtime/http/operations_api.hpp"

namespace raftor::http {

using json = nlohmann::json;

namespace {

int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

bool parse_u64(const std::string& s, std::uint64_t& out) {
    if (s.empty()) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

bool parse_bool(const std::string& s, bool& out) {
    if (s == "true" || s == "1" || s.empty()) return out = true, true;
    if (s == "false" || s == "0") return out = false, true;
    return false;
}

namespace {

struct Query {
    std::vector<std::pair<std::string, std::string>> items;
    std::string error;
};

Query parse_query(const std::string& q) {
    Query out;
    std::size_t pos = 0;
    while (pos <= q.size() && !q.empty()) {
        const std::size_t amp = q.find('&', pos);
        const std::string part = q.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
        if (!part.empty()) {
            const std::size_t eq = part.find('=');
            bool ok1 = true, ok2 = true;
            std::string k = percent_decode(part.substr(0, eq), ok1);
            std::string v = eq == std::string::npos ? "" : percent_decode(part.substr(eq + 1), ok2);
            if (!ok1 || !ok2) {
                out.error = "bad percent-encoding in query parameter '" + part + "'";
                return out;
            }
            out.items.emplace_back(std::move(k), std::move(v));
        }
        if (amp == std::string::npos) break;
        pos = amp + 1;
    }
    return out;
}

Routed route_kv(const Request& req, const std::string& raw_key, const Query& query) {
    bool ok = true;
    std::string key = percent_decode(raw_key, ok);
    if (!ok) return bad_request("bad_key", "bad key", "bad percent-encoding in the key");
    const bool get = is_get(req);
    const bool put = req.method == "PUT" || req.method == "POST";
    const bool del = req.method == "DELETE";
    if (!get && !put && !del) return method_not_allowed(req, "/kv/:key", "GET, PUT, DELETE");

    Routed out;
    bool stale = false;
    std::optional<std::uint64_t> prev;
    for (const auto& [k, v] : query.items) {
        if (k == "stale" && get) {
            if (!parse_bool(v, stale))
                return bad_request("bad_parameter", "bad parameter", "stale must be true or false, not '" + v + "'");
        } else if (k == "prevRevision" && !get) {
            std::uint64_t n = 0;
            if (!parse_u64(v, n))
                return bad_request(
                    "bad_parameter", "bad parameter",
                    "prevRevision must be a revision number (0: the key must not exist), not '" + v + "'");
            prev = n;
        } else if (k == "forward" && !get) {
            if (!parse_bool(v, out.forward))
                return bad_request("bad_parameter", "bad parameter", "forward must be true or false, not '" + v + "'");
        } else {
            return bad_request("unknown_parameter", "unknown query parameter",
                               "'" + k + "' is not a parameter of " + req.method + " /kv/:key");
        }
    }
    if (get) {
        state::KvCommand probe{state::KvCommand::Op::put, {}, key, {}, std::nullopt};
        if (auto why = state::check_command(probe)) return bad_request("bad_key", "bad key", *why);
        out.call = KvGet{std::move(key), stale};
        return out;
    }
    state::KvCommand cmd{put ? state::KvCommand::Op::put : state::KvCommand::Op::del,
                         {},
                         std::move(key),
                         put ? req.body : std::string(),
                         prev};
    if (del && !req.body.empty())
        return bad_request("unexpected_body", "unexpected body", "DELETE /kv/:key takes no body");
    if (auto refused = read_request_id(req, cmd.request)) return answer(std::move(*refused));
    if (auto why = state::check_command(cmd)) {
        const bool too_big = cmd.value.size() > state::kv_value_bytes_max;
        return answer(error_response(too_big ? 413 : 400, too_big ? "value_too_large" : "bad_key",
                                     too_big ? "value too large" : "bad key", *why));
    }
    out.forwarded = req.header(forwarded_header) != nullptr;
    out.call = KvWrite{std::move(cmd)};
    return out;
}

}  // namespace

Routed answer(Response r) {
    Routed out;
    out.response = std::move(r);
    return out;
}

Routed bad_request(const std::string& code, const std::string& error, const std::string& detail, int status) {
    return answer(error_response(status, code, error, detail));
}

Routed method_not_allowed(const Request& req, const std::string& path, const std::string& allow) {
    return answer(error_response(405, "method_not_allowed", "method not allowed",
                                 req.method + " is not allowed on " + path + "; use " + allow, {{"Allow", allow}}));
}

bool is_get(const Request& req) {
    return req.method == "GET" || req.method == "HEAD";
}

std::optional<Response> read_request_id(const Request& req, state::RequestId& out) {
    auto cid = req.header("x-client-id");
    auto seq = req.header("x-request-seq");
    if (!cid && !seq) return std::nullopt;
    if (!cid || !seq || !parse_u64(*cid, out.client) || !parse_u64(*seq, out.seq) || out.client == 0 || out.seq == 0)
        return error_response(400, "bad_request_id", "bad request id",
                              "X-Client-Id and X-Request-Seq go together, each a number above 0");
    const auto* forwarded_for = req.header(client_address_header);
    const std::string caller = forwarded_for ? *forwarded_for : client_address(req.remote);
    const auto d = crypto::sha256({"raftor client session\n", caller, "\n", *cid});
    std::uint64_t bound = 0;
    for (int i = 0; i < 8; ++i) bound = bound << 8 | d[i];
    out.client = bound ? bound : 1;
    return std::nullopt;
}

std::string percent_decode(const std::string& s, bool& ok) {
    std::string out;
    out.reserve(s.size());
    ok = true;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%') {
            const int a = i + 2 < s.size() ? hex(s[i + 1]) : -1;
            const int b = i + 2 < s.size() ? hex(s[i + 2]) : -1;
            if (a < 0 || b < 0) {
                ok = false;
                return {};
            }
            out.push_back(static_cast<char>(a * 16 + b));
            i += 2;
        } else if (s[i] == '+') {
            out.push_back(' ');
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

std::string percent_encode(const std::string& s) {
    static const char* digits = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(digits[c >> 4]);
            out.push_back(digits[c & 15]);
        }
    }
    return out;
}

bool is_utf8(const std::string& s) {
    std::size_t i = 0;
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    while (i < s.size()) {
        const unsigned char c = p[i];
        std::size_t n = 0;
        std::uint32_t cp = 0;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1, cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2, cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3, cp = c & 0x07;
        } else {
            return false;
        }
        if (i + n >= s.size()) return false;
        for (std::size_t k = 1; k <= n; ++k) {
            if ((p[i + k] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}

std::string base64_encode(const std::string& s) {
    static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((s.size() + 2) / 3 * 4);
    std::size_t i = 0;
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    for (; i + 2 < s.size(); i += 3) {
        const std::uint32_t v = (p[i] << 16) | (p[i + 1] << 8) | p[i + 2];
        out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
    }
    if (i + 1 == s.size()) {
        const std::uint32_t v = p[i] << 16;
        out += {t[v >> 18], t[(v >> 12) & 63], '=', '='};
    } else if (i + 2 == s.size()) {
        const std::uint32_t v = (p[i] << 16) | (p[i + 1] << 8);
        out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
    }
    return out;
}

Routed route(const Request& req, const ApiOptions& opts) {
    Caller caller;
    if (auto denied = authorize(req, AccessOptions{opts.auth_token, opts.read_token}, caller))
        return answer(std::move(*denied));
    // KV bodies are raw values; every other body is JSON, and is checked before parsing.
    if (!req.body.empty() && req.target.rfind("/kv/", 0) != 0 && json_deeper_than(req.body, json_depth_max))
        return answer(
            error_response(400, "too_deep", "JSON nested too deep",
                           "the body nests more than " + std::to_string(json_depth_max) + " arrays or objects"));
    Routed routed = route_authorized(req, opts);
    if (routed.call)
        if (auto* r = std::get_if<OpsRead>(&*routed.call); r && r->reveal && caller.scope != Scope::admin)
            return answer(error_response(403, "forbidden", "revealing secrets needs the admin token",
                                         "?reveal=true shows handlers' env and headers: send the admin token"));
    routed.caller = std::move(caller);
    return routed;
}

Routed route_authorized(const Request& req, const ApiOptions& opts) {
    const std::size_t qpos = req.target.find('?');
    const std::string path = req.target.substr(0, qpos);
    const Query query = parse_query(qpos == std::string::npos ? std::string() : req.target.substr(qpos + 1));
    if (!query.error.empty()) return bad_request("bad_query", "bad query string", query.error);

    if (path == "/health" || path.rfind("/health/", 0) == 0) {
        static const std::pair<const char*, Probe> probes[] = {{"/health", Probe::health},
                                                               {"/health/live", Probe::live},
                                                               {"/health/ready", Probe::ready},
                                                               {"/health/startup", Probe::startup},
                                                               {"/health/cluster", Probe::cluster}};
        for (const auto& [p, probe] : probes) {
            if (path != p) continue;
            if (!is_get(req)) return method_not_allowed(req, path, "GET");
            Routed out;
            out.call = HealthCall{probe};
            return out;
        }
    } else if (path.rfind("/kv/", 0) == 0) {
        return route_kv(req, path.substr(4), query);
    } else if (path == "/debug/actors" || path.rfind("/debug/actors/", 0) == 0) {
        if (!is_get(req)) return method_not_allowed(req, path, "GET");
        DebugActors call;
        std::string rest = path.size() > 14 ? path.substr(14) : std::string();
        static const std::string suffix = "/trace";
        if (rest.size() > suffix.size() && rest.compare(rest.size() - suffix.size(), suffix.size(), suffix) == 0) {
            call.trace = true;
            rest.resize(rest.size() - suffix.size());
        }
        if (rest.find('/') != std::string::npos)
            return answer(error_response(404, "not_found", "no such route",
                                         "GET " + path + " is not an API path (try /debug/actors/:name/trace)"));
        for (const auto& [k, v] : query.items) {
            std::uint64_t n = 0;
            if (k == "node") {
                if (v.empty()) return bad_request("bad_parameter", "bad query parameter", "'node' names no member");
                call.node = v;
                continue;
            }
            if (call.trace && (k == "after" || k == "limit")) {
                if (!parse_u64(v, n) || (k == "limit" && (n < 1 || n > 256)))
                    return bad_request("bad_parameter", "bad query parameter",
                                       "'" + k + "' must be " +
                                           (k == "limit" ? "a whole number from 1 to 256" : "a whole number") +
                                           ", not '" + v + "'");
                (k == "after" ? call.after : call.limit) = n;
                continue;
            }
            return bad_request(
                "unknown_parameter", "unknown query parameter",
                "'" + k + "' is not a parameter of GET " +
                    (call.trace ? "/debug/actors/:name/trace (node, after, limit)" : "/debug/actors (node)"));
        }
        bool ok = true;
        call.name = percent_decode(rest, ok);
        if (!ok) return bad_request("bad_name", "bad actor name", "bad percent-encoding in the actor name");
        Routed out;
        out.call = std::move(call);
        return out;
    } else if (path == "/console" || path == "/console/") {
        if (!is_get(req)) return method_not_allowed(req, path, "GET");
        for (const auto& [k, v] : query.items)  // read by the page's script
            if (k != "actor" && k != "node" && k != "view")
                return bad_request("unknown_parameter", "unknown query parameter",
                                   "'" + k + "' is not a parameter of GET /console (view, node, actor)");
        Response r;
        r.content_type = "text/html; charset=utf-8";
        r.body = console_page();
        // Its own inline script and style only; it talks to this node alone.
        r.headers = {{"Content-Security-Policy",
                      "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'"},
                     {"X-Content-Type-Options", "nosniff"},
                     {"Cache-Control", "no-cache"}};
        return answer(std::move(r));
    } else if (is_metrics_path(path)) {
        return route_metrics(req, path, query.items);
    } else if (is_admin_path(path)) {
        return route_admin(req, path, query.items);
    } else if (is_operations_path(path)) {
        return route_operations(req, path, query.items, opts);
    } else if (path == "/kv" || path == "/kv/") {
        return bad_request("bad_key", "bad key", "the key is missing: use /kv/<key>");
    }
    return answer(error_response(404, "not_found", "no such route", req.method + " " + path + " is not an API path"));
}

Response kv_written(const state::KvCommand& cmd, const state::KvResult& r) {
    if (!r.ok)
        return error_response(412, "revision_mismatch", "compare-and-set failed",
                              "key '" + cmd.key + "' is at revision " + std::to_string(r.revision) + ", not " +
                                  std::to_string(cmd.prev_revision.value_or(0)),
                              {{"X-Raftor-Revision", std::to_string(r.revision)}});
    json j{{"key", cmd.key}, {"revision", r.revision}};
    if (cmd.op == state::KvCommand::Op::del) j["deleted"] = true;
    if (r.duplicate) j["duplicate"] = true;
    return json_response(200, j);
}

Response kv_read(const std::string& key, const std::optional<state::KvValue>& v) {
    if (!v) return error_response(404, "key_not_found", "key not found", "no key '" + key + "'");
    json j{{"key", key}, {"revision", v->revision}, {"createRevision", v->create_revision}};
    if (is_utf8(v->value)) {
        j["value"] = v->value;
    } else {
        j["value"] = base64_encode(v->value);
        j["encoding"] = "base64";
    }
    return json_response(200, j);
}

Response not_leader(const Request& req, bool proxy, const std::string& leader_name, const std::string& leader_address,
                    bool tls) {
    if (leader_name.empty() || leader_address.empty())
        return error_response(503, "no_leader", "no leader",
                              leader_name.empty() ? "the cluster has no leader right now (an election may be under way)"
                                                  : "the leader " + leader_name + " has not introduced itself yet",
                              {{"Retry-After", "1"}});
    if (!proxy) {
        // Once forwarded, never again: a moving leader would otherwise bounce requests around.
        Response r = error_response(307, "not_leader", "not the leader",
                                    "the leader is " + leader_name + " at " + leader_address,
                                    {{"Location", (tls ? "https://" : "http://") + leader_address + req.target},
                                     {"X-Raftor-Leader", leader_name}});
        return r;
    }
    Response r;
    r.proxy_to = leader_address;
    r.proxy_member = leader_name;
    return r;
}

Response outcome_unknown(const std::string& detail) {
    return error_response(503, "outcome_unknown", "outcome unknown",
                          detail +
                              "; the write may or may not have been applied (retry with the same "
                              "X-Client-Id/X-Request-Seq to make the retry safe)",
                          {{"Retry-After", "1"}});
}

Response invalid(const std::string& detail) {
    return error_response(400, "invalid", "invalid request", detail);
}

Response unavailable(const std::string& code, const std::string& error, const std::string& detail) {
    return error_response(503, code, error, detail, {{"Retry-After", "1"}});
}

namespace {
json actor_json(const std::string& node, const introspect::ActorReport& r) {
    json state = json::object();
    for (const auto& [k, v] : r.state) state[k] = v;
    json j{{"name", r.name},
           {"kind", r.kind},
           {"node", node},
           {"mailboxDepth", r.mailbox_depth},
           {"messagesHandled", r.messages_handled},
           {"lastMessage", r.last_message.empty() ? json(nullptr) : json(r.last_message)},
           {"lastMessageAgeMs", r.messages_handled ? json(r.last_message_age_ms) : json(nullptr)},
           {"ratePerSec", std::round(r.rate_per_s * 100) / 100},
           {"responsive", r.responsive},
           {"state", std::move(state)}};
    if (!r.stopped.empty()) j["stopped"] = r.stopped;
    return j;
}
}  // namespace

Response actors(const std::string& node, const DebugActors& call, const std::vector<introspect::ActorReport>& reports) {
    if (!call.name.empty()) {
        for (const auto& r : reports) {
            if (r.name != call.name) continue;
            if (!call.trace) return json_response(200, actor_json(node, r));
            json entries = json::array();
            std::uint64_t first = 0;
            for (const auto& e : r.trace) {
                if (e.seq <= call.after) continue;
                if (!first) first = e.seq;
                entries.push_back(json{{"seq", e.seq}, {"type", e.type}, {"atMs", e.at_ms}});
            }
            if (entries.size() > call.limit) {
                entries.erase(entries.begin(), entries.end() - static_cast<std::ptrdiff_t>(call.limit));
                first = entries.front()["seq"].get<std::uint64_t>();
            }
            // Messages after `after` that the ring no longer holds (or the limit left out).
            const std::uint64_t missed = first > call.after + 1 ? first - call.after - 1 : 0;
            return json_response(200, json{{"node", node},
                                           {"actor", r.name},
                                           {"lastSeq", r.messages_handled},
                                           {"missed", missed},
                                           {"entries", std::move(entries)}});
        }
        std::string names;
        for (const auto& r : reports) names += (names.empty() ? "" : ", ") + r.name;
        return error_response(404, "actor_not_found", "no such actor",
                              "no actor '" + call.name + "' on " + node + " (there are: " + names + ")");
    }
    json list = json::array();
    for (const auto& r : reports) list.push_back(actor_json(node, r));
    return json_response(200, json{{"node", node}, {"actors", std::move(list)}});
}

namespace {
// Committed entries not yet applied that still count as caught up: the apply of the
// last few writes is always in flight under load, and readiness must not flap with it
// (a node restarted behind a long log is far beyond this).
constexpr std::uint64_t apply_lag_ready_max = 1000;

bool ready(const NodeView& v, std::string& why) {
    if (!v.started) return why = "storage is still being opened and the log replayed", false;
    if (!v.storage_ok) return why = "storage failed", false;
    if (v.self_check.done && !v.self_check.storage)
        return why = "storage is not writable (self-check): " + v.self_check.storage_detail, false;
    if (!v.member) return why = "not a member of the cluster's configuration (removed, or not yet added)", false;
    if (v.leader.empty()) return why = "no known leader", false;
    if (v.commit_index > v.applied_index + apply_lag_ready_max) return why = "applying committed entries", false;
    return true;
}
}  // namespace

Response health(Probe probe, const NodeView& v) {
    std::string why;
    switch (probe) {
        case Probe::live: return json_response(200, json{{"status", "alive"}, {"node", v.node}});
        case Probe::startup:
            if (!v.started) return json_response(503, json{{"status", "starting"}, {"node", v.node}});
            return json_response(200, json{{"status", "ready"}, {"node", v.node}});
        case Probe::ready:
        case Probe::health: {
            bool ok = ready(v, why);
            // Drained for maintenance: out of the load balancer, though healthy.
            if (ok && probe == Probe::ready && v.draining) ok = false, why = "drained (POST /admin/undrain to return)";
            json j{{"status", ok ? (probe == Probe::ready ? "ready" : "healthy") : "unavailable"},
                   {"node", v.node},
                   {"role", v.role},
                   {"term", v.term},
                   {"leader", v.leader.empty() ? json(nullptr) : json(v.leader)}};
            if (!ok) j["reason"] = why;
            // Out of room: still up and serving reads (a restart would not help), so
            // still ready; said here, in the metrics and the log.
            if (v.storage_full) j["storage"] = {{"full", true}, {"detail", v.storage_full_reason}};
            if (probe == Probe::health && v.self_check.done) {
                // The periodic self-check: a failed peers or clock check leaves the node
                // serving (degraded); an unwritable disk makes it unavailable (above).
                const auto& c = v.self_check;
                auto one = [](bool pass, const std::string& detail) {
                    json x{{"ok", pass}};
                    if (!pass) x["detail"] = detail;
                    return x;
                };
                json peers = one(c.peers, c.peers_detail);
                peers["reachable"] = c.peers_reachable;
                peers["total"] = c.peers_total;
                json clock = one(c.clock, c.clock_detail);
                clock["stepMs"] = c.clock_step_ms;
                j["checks"] = {{"storage", one(c.storage, c.storage_detail)},
                               {"peers", std::move(peers)},
                               {"clock", std::move(clock)},
                               {"at", c.at_wall_ms > 0 ? json(schedule::format_rfc3339(c.at_wall_ms)) : json(nullptr)},
                               {"runs", c.runs}};
                if (ok && !c.ok()) j["status"] = "degraded";
            }
            return json_response(ok ? 200 : 503, j);
        }
        case Probe::cluster: {
            json members = json::array();
            for (const auto& m : v.members) {
                json jm{{"name", m.name},
                        {"id", std::to_string(m.id)},
                        {"peerAddress", m.peer_address},
                        {"httpAddress", m.http_address.empty() ? json(nullptr) : json(m.http_address)},
                        {"httpsAddress", m.https_address.empty() ? json(nullptr) : json(m.https_address)},
                        {"voter", m.voter},
                        {"leader", m.name == v.leader}};
                if (m.match_index) jm["matchIndex"] = *m.match_index;
                if (m.lag_entries) jm["lagEntries"] = *m.lag_entries;
                if (m.lag_ms) jm["lagMs"] = *m.lag_ms;
                members.push_back(std::move(jm));
            }
            json j{{"clusterSize", v.members.size()},
                   {"leader", v.leader.empty() ? json(nullptr) : json(v.leader)},
                   {"term", v.term},
                   {"commitIndex", v.commit_index},
                   {"appliedIndex", v.applied_index},
                   {"replicated", v.replicated},
                   {"replicationLag", v.replication_lag_ms},
                   {"node", v.node},
                   {"role", v.role},
                   {"draining", v.draining},
                   {"members", std::move(members)}};
            if (v.storage_full) j["storage"] = {{"full", true}, {"detail", v.storage_full_reason}};
            return json_response(200, j);
        }
    }
    return json_response(500, json{{"error", "unknown probe"}});
}

}  // namespace raftor::http
