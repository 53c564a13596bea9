#include "runtime/http/operations_api.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "runtime/exec/sandbox.hpp"
#include "runtime/http/errors.hpp"
#include "runtime/http/handler_url.hpp"
#include "runtime/http/operation_json.hpp"

namespace raftor::http {

using json = nlohmann::json;
using state::ExecStatus;
using state::Execution;

namespace {

constexpr std::size_t list_limit_max = 10'000;
// The most one page of history, queue or receipts holds: rendering a page is work done
// on the node's behalf, so a client pages through more with `from`.
constexpr std::size_t page_limit_max = 1'000;
constexpr std::uint64_t wait_ms_default = 30'000;
constexpr std::uint64_t wait_ms_max = 600'000;

// Query parameters this route knows; anything else is named.
struct Params {
    const QueryItems& items;
    std::string route;
    std::optional<Routed> error;

    bool check(const std::vector<std::string>& known) {
        for (const auto& [k, v] : items) {
            bool ok = false;
            for (const auto& n : known) ok = ok || k == n;
            if (!ok) {
                error = bad_request("unknown_parameter", "unknown query parameter",
                                    "'" + k + "' is not a parameter of " + route);
                return false;
            }
        }
        return true;
    }
    bool u64(const char* name, std::uint64_t lo, std::uint64_t hi, std::uint64_t& out) {
        for (const auto& [k, v] : items) {
            if (k != name) continue;
            std::uint64_t n = 0;
            if (!parse_u64(v, n) || n < lo || n > hi) {
                error = bad_request("bad_parameter", "bad parameter",
                                    std::string(name) + " must be a whole number from " + std::to_string(lo) + " to " +
                                        std::to_string(hi) + ", not '" + v + "'");
                return false;
            }
            out = n;
        }
        return true;
    }
    bool flag(const char* name, bool& out) {
        for (const auto& [k, v] : items) {
            if (k != name) continue;
            if (!parse_bool(v, out)) {
                error = bad_request("bad_parameter", "bad parameter",
                                    std::string(name) + " must be true or false, not '" + v + "'");
                return false;
            }
        }
        return true;
    }
};

bool valid_id(const std::string& id, std::string& why) {
    if (id.empty()) return why = "the operation id is missing", false;
    if (id.size() > state::operation_id_max)
        return why = "the operation id is longer than " + std::to_string(state::operation_id_max) + " bytes", false;
    for (unsigned char c : id)
        if (c < 0x20 || c == 0x7f || c == '/')
            return why = "the operation id contains '/' or a control character", false;
    return true;
}

std::string rfc3339_or_empty(std::int64_t ms) {
    return ms > 0 ? schedule::format_rfc3339(ms) : std::string();
}

json nullable_time(std::int64_t ms) {
    return ms > 0 ? json(schedule::format_rfc3339(ms)) : json(nullptr);
}

json output_json(const std::string& out) {
    if (is_utf8(out)) return out;
    return json{{"base64", base64_encode(out)}};
}

// One entry of an operation's history (the runbook reads .status and .duration).
json history_json(const Execution& e) {
    const bool final = state::is_final(e.status);
    json j{{"executionId", state::execution_id_string(e.id)},
           {"status", state::to_string(e.status)},
           {"node", e.node.empty() ? json(nullptr) : json(e.node)},
           {"createdAt", nullable_time(e.created_ms)},
           {"startedAt", nullable_time(e.started_ms)},
           {"duration", final && e.started_ms > 0 ? json(e.duration_ms) : json(nullptr)},
           {"exitCode", final && e.started_ms > 0 ? json(e.exit_code) : json(nullptr)},
           {"output", final ? output_json(e.output) : json(nullptr)},
           {"receipt", e.receipt_sequence ? json(crypto::to_hex(e.receipt_hash)) : json(nullptr)}};
    if (e.slot_ms) j["slot"] = schedule::format_rfc3339(e.slot_ms);
    if (e.attempt > 1) j["attempt"] = e.attempt;
    if (e.replay_of) j["replayOf"] = state::execution_id_string(e.replay_of);
    return j;
}

json execution_json(const Execution& e) {
    json j = history_json(e);
    j["operationId"] = e.operation;
    j["cause"] = state::to_string(e.cause);
    j["attempt"] = e.attempt;
    j["createdAt"] = nullable_time(e.created_ms);
    j["finishedAt"] = state::is_final(e.status) ? nullable_time(e.finished_ms) : json(nullptr);
    if (e.status == ExecStatus::retrying) j["retryAt"] = nullable_time(e.retry_at_ms);
    if (!e.detail.empty()) j["detail"] = e.detail;
    j["inputHash"] = crypto::to_hex(e.input_hash);
    if (state::is_final(e.status)) {
        j["outputHash"] = crypto::to_hex(e.output_hash);
        j["receiptSequence"] = e.receipt_sequence;
    }
    return j;
}

// A handler's env and headers hold credentials: shown only when the admin asks (?reveal=true).
void redact(json& handler) {
    if (!handler.is_object()) return;
    for (const char* k : {"env", "headers"})
        if (auto it = handler.find(k); it != handler.end() && it->is_object())
            for (auto& [name, value] : it->items()) value = "<redacted>";
}

json operation_json(const state::OperationEntry& e, std::size_t running, OperationCache* cache, bool reveal) {
    json j = cache ? cache->definition(e.spec, e.defined_index) : json::parse(operation_to_json(e.spec));
    if (!reveal && j.contains("handler")) redact(j["handler"]);
    j["version"] = e.version;
    j["createdAt"] = rfc3339_or_empty(e.created_ms);
    j["updatedAt"] = rfc3339_or_empty(e.updated_ms);
    if (e.spec.schedule) j["lastSlot"] = rfc3339_or_empty(e.last_slot_ms);
    j["running"] = running;
    return j;
}

// A read with its query parameters checked: `stale` always; `limit` (from 1 to
// `limit_max`, default r.limit) when limit_max is set; `from` when asked for.
Routed read_call(OpsRead r, Params& params, std::uint64_t limit_max = 0, bool from = false) {
    std::vector<std::string> known{"stale"};
    if (limit_max) known.push_back("limit");
    if (from) known.push_back("from");
    const bool definitions = r.kind == OpsRead::Kind::list || r.kind == OpsRead::Kind::get;
    if (definitions) known.push_back("reveal");
    std::uint64_t limit = r.limit;
    if (!params.check(known) || !params.flag("stale", r.stale) || !params.u64("limit", 1, limit_max, limit) ||
        !params.u64("from", 0, UINT64_MAX, r.from) || (definitions && !params.flag("reveal", r.reveal)))
        return std::move(*params.error);
    r.limit = limit;
    for (const auto& [k, v] : params.items) r.paged = r.paged || (from && k == "from");
    Routed out;
    out.call = r;
    return out;
}

Routed route_operation_write(const Request& req, OpsWrite w) {
    if (auto refused = read_request_id(req, w.cmd.request)) return answer(std::move(*refused));
    Routed out;
    out.forwarded = req.header(forwarded_header) != nullptr;
    out.call = std::move(w);
    return out;
}

Routed route_define(const Request& req, const std::string& path_id, bool create, const ApiOptions& opts) {
    std::string error;
    auto spec = operation_from_json(req.body, opts.allow_shell, opts.zones, error);
    if (!spec) return bad_request("invalid_operation", "invalid operation", error);
    if (!opts.allowed_programs.empty() &&
        (spec->handler.kind == state::Handler::Kind::exec || spec->handler.kind == state::Handler::Kind::shell)) {
        // Refused now, with the key named, rather than failing every execution later.
        const bool shell = spec->handler.kind == state::Handler::Kind::shell;
        const std::string program = shell ? opts.shell_program : spec->handler.argv.front();
        auto path = spec->handler.env.find("PATH");
        const std::string resolved = exec::resolve_program(
            program, !shell && path != spec->handler.env.end() ? path->second : "/usr/local/bin:/usr/bin:/bin");
        if (resolved.empty())
            return bad_request("invalid_operation", "invalid operation",
                               std::string(shell ? "handlers.shell" : "handler.argv[0]") + ": '" + program +
                                   "' is not an executable on this node");
        if (auto why = exec::program_refused(resolved, opts.allowed_programs))
            return bad_request("program_not_allowed", "program not allowed",
                               std::string(shell ? "handlers.shell" : "handler.argv[0]") + ": " + *why);
    }
    if (spec->handler.kind == state::Handler::Kind::http) {
        auto url = parse_http_url(spec->handler.url, error);
        if (url) error = http_host_refused(url->host, opts.http_hosts);
        if (!error.empty()) return bad_request("invalid_operation", "invalid operation", "handler.url: " + error);
    }
    if (!create && spec->id != path_id)
        return bad_request("invalid_operation", "invalid operation",
                           "id: '" + spec->id + "' does not match the path's '" + path_id + "'");
    OpsWrite w;
    w.kind = create ? OpsWrite::Kind::create : OpsWrite::Kind::replace;
    w.id = spec->id;
    w.cmd.body = state::PutOperation{std::move(*spec), create};
    return route_operation_write(req, std::move(w));
}

}  // namespace

namespace {
// POST /daemon/replay {"since": T} and POST /replay?since=T: T is RFC 3339
// ("2026-12-06T10:00:00Z", "...+01:00") or Unix milliseconds.
Routed route_replay(const Request& req, const std::string& path, Params& params) {
    if (req.method != "POST") return method_not_allowed(req, path, "POST");
    if (!params.check({"since"})) return std::move(*params.error);
    const std::string usage = "give since as RFC 3339 (2026-12-06T10:00:00Z) or Unix milliseconds";
    json since;
    for (const auto& [k, v] : params.items)
        if (k == "since") since = v;
    if (!req.body.empty()) {
        if (!since.is_null())
            return bad_request("bad_body", "bad body", "since is given twice: in the query and in the body");
        json body = json::parse(req.body, nullptr, false);
        if (!body.is_object())
            return bad_request("bad_json", "bad JSON", "the body must be a JSON object {\"since\": ...}");
        for (const auto& [k, v] : body.items())
            if (k != "since")
                return bad_request("unknown_field", "unknown field", "'" + k + "' is not a field of a replay (since)");
        if (body.contains("since")) since = body["since"];
    }
    std::optional<std::int64_t> ms;
    if (since.is_string()) {
        const std::string text = since.get<std::string>();
        ms = schedule::parse_rfc3339(text);
        if (std::uint64_t n = 0; !ms && parse_u64(text, n) && n <= INT64_MAX) ms = static_cast<std::int64_t>(n);
        if (!ms) return bad_request("bad_since", "bad since", "since '" + text + "' is not a time: " + usage);
    } else if (since.is_number_integer() && since.get<std::int64_t>() >= 0) {
        ms = since.get<std::int64_t>();
    } else if (since.is_null()) {
        return bad_request("missing_since", "since is missing", "a replay needs since: " + usage);
    } else {
        return bad_request("bad_since", "bad since", "since must be a string or a whole number: " + usage);
    }
    OpsWrite w;
    w.kind = OpsWrite::Kind::replay;
    w.cmd.body = state::Replay{*ms, {}};
    return route_operation_write(req, std::move(w));
}
}  // namespace

bool is_operations_path(const std::string& path) {
    if (path == "/daemon/replay" || path == "/replay") return true;
    for (const char* p : {"/operations", "/execute", "/executions", "/events", "/queue", "/receipts"}) {
        const std::string s = p;
        if (path == s || path.rfind(s + "/", 0) == 0) return true;
    }
    return false;
}

Routed route_operations(const Request& req, const std::string& path, const QueryItems& query, const ApiOptions& opts) {
    // Split "/a/b/c" into its segments, each percent-decoded.
    std::vector<std::string> seg;
    std::size_t pos = 1;
    while (pos <= path.size()) {
        const std::size_t slash = path.find('/', pos);
        bool ok = true;
        seg.push_back(
            percent_decode(path.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos), ok));
        if (!ok) return bad_request("bad_path", "bad path", "bad percent-encoding in '" + path + "'");
        if (slash == std::string::npos) break;
        pos = slash + 1;
    }
    Params params{query, req.method + " " + path, std::nullopt};
    std::string why;
    const std::string& top = seg[0];

    if (top == "operations" && seg.size() == 1) {
        if (req.method == "POST") {
            if (!params.check({})) return std::move(*params.error);
            return route_define(req, "", true, opts);
        }
        if (!is_get(req)) return method_not_allowed(req, "/operations", "GET, POST");
        OpsRead r;
        r.limit = 1000;
        return read_call(r, params, list_limit_max);
    }
    if (top == "operations" && (seg.size() == 2 || (seg.size() == 3 && seg[2] == "history"))) {
        if (!valid_id(seg[1], why)) return bad_request("bad_operation_id", "bad operation id", why);
        if (seg.size() == 3) {
            if (!is_get(req)) return method_not_allowed(req, path, "GET");
            OpsRead r;
            r.kind = OpsRead::Kind::history;
            r.id = seg[1];
            r.limit = 100;
            return read_call(r, params, page_limit_max, true);
        }
        if (req.method == "PUT") {
            if (!params.check({})) return std::move(*params.error);
            return route_define(req, seg[1], false, opts);
        }
        if (req.method == "DELETE") {
            if (!params.check({})) return std::move(*params.error);
            if (!req.body.empty())
                return bad_request("unexpected_body", "unexpected body", "DELETE /operations/:id takes no body");
            OpsWrite w;
            w.kind = OpsWrite::Kind::remove;
            w.id = seg[1];
            w.cmd.body = state::DeleteOperation{seg[1]};
            return route_operation_write(req, std::move(w));
        }
        if (!is_get(req)) return method_not_allowed(req, path, "GET, PUT, DELETE");
        OpsRead r;
        r.kind = OpsRead::Kind::get;
        r.id = seg[1];
        return read_call(r, params);
    }
    if (top == "execute" && seg.size() == 2) {
        if (!valid_id(seg[1], why)) return bad_request("bad_operation_id", "bad operation id", why);
        if (req.method != "POST") return method_not_allowed(req, path, "POST");
        OpsWrite w;
        w.kind = OpsWrite::Kind::execute;
        w.id = seg[1];
        w.wait_ms = wait_ms_default;
        if (!params.check({"wait", "timeoutMs"}) || !params.flag("wait", w.wait) ||
            !params.u64("timeoutMs", 1, wait_ms_max, w.wait_ms))
            return std::move(*params.error);
        if (req.body.size() > state::ops_input_bytes_max)
            return bad_request("input_too_large", "input too large",
                               "the input is " + std::to_string(req.body.size()) + " bytes, more than " +
                                   std::to_string(state::ops_input_bytes_max),
                               413);
        w.cmd.body = state::ExecuteOperation{seg[1], req.body};
        return route_operation_write(req, std::move(w));
    }
    if ((top == "daemon" && seg.size() == 2 && seg[1] == "replay") || (top == "replay" && seg.size() == 1))
        return route_replay(req, path, params);
    if (top == "events" && seg.size() == 2) {
        if (seg[1].empty() || seg[1].size() > 256)
            return bad_request("bad_topic", "bad topic", "the topic must be 1 to 256 bytes");
        if (req.method != "POST") return method_not_allowed(req, path, "POST");
        if (!params.check({})) return std::move(*params.error);
        if (req.body.size() > state::ops_input_bytes_max)
            return bad_request("body_too_large", "event body too large",
                               "the event body is more than " + std::to_string(state::ops_input_bytes_max) + " bytes",
                               413);
        OpsWrite w;
        w.kind = OpsWrite::Kind::event;
        w.id = seg[1];
        w.cmd.body = state::PublishEvent{seg[1], req.body};
        return route_operation_write(req, std::move(w));
    }
    if ((top == "executions" || top == "receipts") && seg.size() == 2 && !seg[1].empty()) {
        if (!is_get(req)) return method_not_allowed(req, path, "GET");
        OpsRead r;
        r.kind = top == "executions" ? OpsRead::Kind::execution : OpsRead::Kind::receipt;
        if (state::parse_execution_id(seg[1]) == 0)
            return bad_request("bad_execution_id", "bad execution id",
                               "'" + seg[1] + "' is not an execution id (ex-<number>)");
        r.id = seg[1];
        return read_call(r, params);
    }
    if ((top == "queue" || top == "receipts") && seg.size() == 1) {
        if (!is_get(req)) return method_not_allowed(req, path, "GET");
        OpsRead r;
        r.kind = top == "queue" ? OpsRead::Kind::queue : OpsRead::Kind::receipts;
        r.limit = page_limit_max;
        return read_call(r, params, page_limit_max, top == "receipts");
    }
    return answer(error_response(404, "not_found", "no such route", req.method + " " + path + " is not an API path"));
}

namespace {
Response ops_written_once(const OpsWrite& w, const state::OpsResult& r, const std::vector<Execution>& details) {
    using Code = state::OpsResult::Code;
    if (r.code == Code::not_found) return error_response(404, "operation_not_found", "operation not found", r.detail);
    if (r.code == Code::exists) return error_response(409, "operation_exists", "operation exists", r.detail);
    if (r.code != Code::ok) return error_response(409, "refused", "refused", r.detail);
    switch (w.kind) {
        case OpsWrite::Kind::create: return json_response(201, json{{"id", w.id}, {"version", r.version}});
        case OpsWrite::Kind::replace: return json_response(200, json{{"id", w.id}, {"version", r.version}});
        case OpsWrite::Kind::remove: return json_response(200, json{{"id", w.id}, {"deleted", true}});
        case OpsWrite::Kind::execute:
            return json_response(202, json{{"executionId", state::execution_id_string(r.executions.at(0))},
                                           {"operationId", w.id},
                                           {"status", "queued"}});
        case OpsWrite::Kind::replay: {
            // Each execution as GET /executions/:id shows it, or its id where not given.
            json list = json::array();
            for (auto id : r.executions) {
                auto e = std::find_if(details.begin(), details.end(), [id](const Execution& x) { return x.id == id; });
                list.push_back(e != details.end() ? execution_json(*e)
                                                  : json{{"executionId", state::execution_id_string(id)}});
            }
            json j{{"replayed", r.executions.size()}, {"executions", list}};
            if (!r.detail.empty()) j["notReplayed"] = r.detail;
            return json_response(200, j);
        }
        case OpsWrite::Kind::event: {
            json ids = json::array();
            for (auto id : r.executions) ids.push_back(state::execution_id_string(id));
            return json_response(202, json{{"topic", w.id}, {"executions", ids}});
        }
    }
    return json_response(500, json{{"error", "unknown write"}});
}
}  // namespace

Response ops_written(const OpsWrite& w, const state::OpsResult& r, const std::vector<Execution>& details) {
    Response out = ops_written_once(w, r, details);
    // A retry answered from the request's first result, not applied again.
    if (r.replayed) out.headers.emplace_back("X-Raftor-Replayed", "true");
    return out;
}

std::optional<Response> execution_if_final(std::uint64_t id, const state::OpsMachine& m) {
    auto e = m.execution(id);
    if (!e || !state::is_final(e->status)) return std::nullopt;
    return json_response(200, execution_json(*e));
}

Response execution_pending(std::uint64_t id) {
    const std::string ex = state::execution_id_string(id);
    return json_response(202, json{{"executionId", ex},
                                   {"status", "pending"},
                                   {"detail", "not finished within the wait; see GET /executions/" + ex}});
}

std::string receipt_json(const crypto::Receipt& r, bool sealed) {
    json proof = json::array();
    for (const auto& p : r.proof) proof.push_back(crypto::to_hex(p));
    json j{{"sequence", r.sequence},
           {"executionId", r.execution_id},
           {"operationId", r.operation_id},
           {"node", r.node},
           {"startedAtMs", r.started_at_ms},
           {"finishedAtMs", r.finished_at_ms},
           {"status", r.status},
           {"inputHash", crypto::to_hex(r.input_hash)},
           {"outputHash", crypto::to_hex(r.output_hash)},
           {"prevHash", crypto::to_hex(r.prev_hash)},
           {"hash", crypto::to_hex(crypto::receipt_hash(r))},
           {"sealed", sealed}};
    if (sealed) {
        j["signer"] = r.signer;
        j["batchRoot"] = crypto::to_hex(r.batch_root);
        j["batchIndex"] = r.batch_index;
        j["batchSize"] = r.batch_size;
        j["proof"] = proof;
        j["signature"] = crypto::to_hex(crypto::view(r.signature));
    }
    return j.dump();
}

OpsReadCopy ops_read_copy(const OpsRead& q, const state::OpsMachine& m) {
    OpsReadCopy c;
    switch (q.kind) {
        case OpsRead::Kind::list:
            for (const auto& [id, e] : m.operations()) {
                if (c.definitions.size() >= q.limit) break;
                c.definitions.push_back({e, m.running(id)});
            }
            break;
        case OpsRead::Kind::get:
            if (const auto* e = m.operation(q.id)) c.definitions.push_back({*e, m.running(q.id)});
            break;
        case OpsRead::Kind::history:
            c.known = m.operation(q.id) || !m.history(q.id, 1).empty();
            if (c.known) c.executions = q.paged ? m.history_from(q.id, q.from, q.limit) : m.history(q.id, q.limit);
            break;
        case OpsRead::Kind::execution:
            if (auto e = m.execution(state::parse_execution_id(q.id))) c.executions.push_back(std::move(*e));
            break;
        case OpsRead::Kind::queue:
            for (const auto& [id, e] : m.active()) {
                if (c.executions.size() >= q.limit) break;
                c.executions.push_back(e);
            }
            c.active_total = m.active().size();
            break;
        case OpsRead::Kind::receipt: {
            const std::uint64_t id = state::parse_execution_id(q.id);
            c.receipt = m.receipt_of(id);
            if (!c.receipt)
                if (auto e = m.execution(id)) c.executions.push_back(std::move(*e));
            break;
        }
        case OpsRead::Kind::receipts:
            c.receipts = m.receipts(q.from, q.limit);
            c.keys = m.keys();
            break;
    }
    c.sealed_through = m.sealed_through();
    c.base_sequence = m.base_sequence();
    c.base_hash = m.base_hash();
    c.chain_sequence = m.chain_sequence();
    c.chain_head = m.chain_head();
    return c;
}

Response ops_render(const OpsRead& q, const OpsReadCopy& c, OperationCache* cache) {
    switch (q.kind) {
        case OpsRead::Kind::list: {
            json list = json::array();
            for (const auto& d : c.definitions) list.push_back(operation_json(d.entry, d.running, cache, q.reveal));
            return json_response(200, list);
        }
        case OpsRead::Kind::get: {
            if (c.definitions.empty())
                return error_response(404, "operation_not_found", "operation not found", "no operation '" + q.id + "'");
            const auto& d = c.definitions.front();
            return json_response(200, operation_json(d.entry, d.running, cache, q.reveal));
        }
        case OpsRead::Kind::history: {
            if (!c.known)
                return error_response(404, "operation_not_found", "operation not found", "no operation '" + q.id + "'");
            json list = json::array();
            for (const Execution& e : c.executions) {
                list.push_back(history_json(e));
                if (e.receipt_sequence) list.back()["sequence"] = e.receipt_sequence;
            }
            return json_response(200, list);
        }
        case OpsRead::Kind::execution: {
            if (c.executions.empty())
                return error_response(404, "execution_not_found", "execution not found",
                                      "no execution '" + q.id + "' (or it is older than the history kept)");
            return json_response(200, execution_json(c.executions.front()));
        }
        case OpsRead::Kind::queue: {
            json pending = json::array(), running = json::array(), retrying = json::array();
            for (const auto& e : c.executions) {
                auto& list = e.status == ExecStatus::running    ? running
                             : e.status == ExecStatus::retrying ? retrying
                                                                : pending;
                list.push_back(execution_json(e));
            }
            return json_response(
                200,
                json{{"pending", pending}, {"running", running}, {"retrying", retrying}, {"total", c.active_total}});
        }
        case OpsRead::Kind::receipt: {
            if (!c.receipt) {
                if (!c.executions.empty() && !state::is_final(c.executions.front().status))
                    return error_response(404, "receipt_not_yet", "no receipt yet",
                                          "execution '" + q.id + "' is " +
                                              state::to_string(c.executions.front().status) +
                                              "; its receipt is written when it finishes");
                return error_response(404, "receipt_not_found", "receipt not found",
                                      "no receipt for '" + q.id + "' (or it is older than the history kept)");
            }
            Response resp;
            resp.status = 200;
            resp.body = receipt_json(*c.receipt, c.receipt->sequence <= c.sealed_through) + "\n";
            return resp;
        }
        case OpsRead::Kind::receipts: {
            json keys = json::object();
            // One key: its hex; several (the node's data was replaced): all, oldest first.
            for (const auto& [node, ring] : c.keys) {
                if (ring.size() == 1) {
                    keys[node] = crypto::to_hex(ring.front());
                    continue;
                }
                keys[node] = json::array();
                for (const auto& k : ring) keys[node].push_back(crypto::to_hex(k));
            }
            json list = json::array();
            for (const auto& r : c.receipts)
                list.push_back(json::parse(receipt_json(r, r.sequence <= c.sealed_through)));
            return json_response(
                200, json{{"base", {{"sequence", c.base_sequence}, {"hash", crypto::to_hex(c.base_hash)}}},
                          {"head", {{"sequence", c.chain_sequence}, {"hash", crypto::to_hex(c.chain_head)}}},
                          {"sealedThrough", c.sealed_through},
                          {"keys", keys},
                          {"receipts", list}});
        }
    }
    return json_response(500, json{{"error", "unknown read"}});
}

Response ops_read(const OpsRead& q, const state::OpsMachine& m, OperationCache* cache) {
    return ops_render(q, ops_read_copy(q, m), cache);
}

namespace {
template <std::size_t N>
bool hex_array(const json& v, std::array<std::uint8_t, N>& out) {
    return v.is_string() && crypto::from_hex(v.get<std::string>(), out.data(), N);
}
}  // namespace

std::optional<ReceiptDump> receipts_from_json(const std::string& body, std::string& error) {
    json j = json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return error = "not a JSON object", std::nullopt;
    ReceiptDump d;
    try {
        d.base_sequence = j.at("base").at("sequence").get<std::uint64_t>();
        if (!hex_array(j.at("base").at("hash"), d.base_hash))
            return error = "base.hash is not 32 bytes of hex", std::nullopt;
        d.head.sequence = j.at("head").at("sequence").get<std::uint64_t>();
        if (!hex_array(j.at("head").at("hash"), d.head.head))
            return error = "head.hash is not 32 bytes of hex", std::nullopt;
        d.sealed_through = j.at("sealedThrough").get<std::uint64_t>();
        for (const auto& [node, k] : j.at("keys").items()) {
            const json list = k.is_array() ? k : json::array({k});
            if (list.empty()) return error = "keys." + node + " is an empty list", std::nullopt;
            for (const auto& one : list) {
                crypto::PublicKey key{};
                if (!hex_array(one, key))
                    return error = "keys." + node + " is not 32 bytes of hex (or a list of them)", std::nullopt;
                d.keys[node].push_back(key);
            }
        }
        std::size_t i = 0;
        for (const auto& x : j.at("receipts")) {
            const std::string at = "receipts[" + std::to_string(i++) + "]";
            crypto::Receipt r;
            r.sequence = x.at("sequence").get<std::uint64_t>();
            r.execution_id = x.at("executionId").get<std::string>();
            r.operation_id = x.at("operationId").get<std::string>();
            r.node = x.at("node").get<std::string>();
            r.started_at_ms = x.at("startedAtMs").get<std::uint64_t>();
            r.finished_at_ms = x.at("finishedAtMs").get<std::uint64_t>();
            r.status = x.at("status").get<std::string>();
            if (!hex_array(x.at("inputHash"), r.input_hash) || !hex_array(x.at("outputHash"), r.output_hash) ||
                !hex_array(x.at("prevHash"), r.prev_hash))
                return error = at + ": a hash is not 32 bytes of hex", std::nullopt;
            if (x.value("sealed", false)) {
                r.signer = x.at("signer").get<std::string>();
                if (!hex_array(x.at("batchRoot"), r.batch_root) || !hex_array(x.at("signature"), r.signature))
                    return error = at + ": batchRoot or signature is not hex of the right size", std::nullopt;
                r.batch_index = x.at("batchIndex").get<std::uint32_t>();
                r.batch_size = x.at("batchSize").get<std::uint32_t>();
                for (const auto& p : x.at("proof")) {
                    crypto::Digest h{};
                    if (!hex_array(p, h)) return error = at + ": a proof hash is not 32 bytes of hex", std::nullopt;
                    r.proof.push_back(h);
                }
            }
            std::optional<crypto::Digest> stated;
            if (x.contains("hash")) {
                stated.emplace();
                if (!hex_array(x.at("hash"), *stated))
                    return error = at + ": hash is not 32 bytes of hex", std::nullopt;
            }
            d.receipts.push_back(std::move(r));
            d.stated_hashes.push_back(stated);
        }
    } catch (const json::exception& e) {
        return error = std::string("receipts JSON: ") + e.what(), std::nullopt;
    }
    return d;
}

}  // namespace raftor::http
