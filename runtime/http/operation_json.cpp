#include "runtime/http/operation_json.hpp"

#include <nlohmann/json.hpp>
#include <set>

#include "runtime/http/handler_url.hpp"
#include "runtime/state/event_filter.hpp"

namespace raftor::http {

using json = nlohmann::json;
using state::Handler;

namespace {

// The first problem found, with the path to it.
struct Reader {
    std::string& error;

    bool fail(const std::string& path, const std::string& why) {
        error = path + ": " + why;
        return false;
    }
    bool only(const json& obj, const std::string& path, std::initializer_list<const char*> known) {
        for (const auto& [k, v] : obj.items()) {
            bool ok = false;
            for (const char* n : known) ok = ok || k == n;
            if (ok) continue;
            std::string list;
            for (const char* n : known) list += std::string(list.empty() ? "" : ", ") + n;
            return fail(path.empty() ? k : path + "." + k, "unknown field; known: " + list);
        }
        return true;
    }
    bool string(const json& v, const std::string& path, std::string& out, std::size_t max, bool non_empty = false) {
        if (!v.is_string()) return fail(path, "must be a string");
        out = v.get<std::string>();
        if (non_empty && out.empty()) return fail(path, "must not be empty");
        if (out.size() > max) return fail(path, "longer than " + std::to_string(max) + " bytes");
        return true;
    }
    bool integer(const json& v, const std::string& path, std::uint64_t lo, std::uint64_t hi, std::uint64_t& out) {
        if (!v.is_number_integer()) return fail(path, "must be a whole number");
        if (v.is_number_unsigned() ? v.get<std::uint64_t>() > hi || v.get<std::uint64_t>() < lo
                                   : v.get<std::int64_t>() < static_cast<std::int64_t>(lo))
            return fail(path,
                        "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " + v.dump());
        out = v.get<std::uint64_t>();
        return true;
    }
    bool number(const json& v, const std::string& path, double lo, double hi, double& out) {
        if (!v.is_number()) return fail(path, "must be a number");
        const double x = v.get<double>();
        if (!(x >= lo && x <= hi))
            return fail(path, "must be between " + json(lo).dump() + " and " + json(hi).dump() + ", got " + v.dump());
        out = x;
        return true;
    }
    bool strings(const json& v, const std::string& path, std::vector<std::string>& out, std::size_t max_items) {
        if (!v.is_array()) return fail(path, "must be an array of strings");
        if (v.size() > max_items) return fail(path, "more than " + std::to_string(max_items) + " items");
        for (std::size_t i = 0; i < v.size(); ++i) {
            std::string s;
            if (!string(v[i], path + "[" + std::to_string(i) + "]", s, 4096, true)) return false;
            out.push_back(std::move(s));
        }
        return true;
    }
    bool string_map(const json& v, const std::string& path, std::map<std::string, std::string>& out) {
        if (!v.is_object()) return fail(path, "must be an object of strings");
        for (const auto& [k, x] : v.items()) {
            std::string s;
            if (!string(x, path + "." + k, s, 65536)) return false;
            out[k] = std::move(s);
        }
        return true;
    }
    template <typename E>
    bool choice(const json& v, const std::string& path, std::initializer_list<std::pair<const char*, E>> options,
                E& out) {
        std::string s, names;
        if (!string(v, path, s, 64)) return false;
        for (const auto& [n, e] : options) {
            if (s == n) {
                out = e;
                return true;
            }
            names += std::string(names.empty() ? "" : ", ") + n;
        }
        return fail(path, "'" + s + "' is not one of " + names);
    }

    bool handler(const json& v, bool allow_shell, Handler& h) {
        if (v.is_string()) {
            h.kind = Handler::Kind::shell;
            if (!string(v, "handler", h.command, 65536, true)) return false;
            if (!allow_shell)
                return fail("handler",
                            "a plain string runs as /bin/sh -c, which this cluster's config does not allow "
                            "(config handlers.allowShell); give {\"kind\":\"exec\",\"argv\":[...]} instead");
            return true;
        }
        if (!v.is_object()) return fail("handler", "must be an object with a \"kind\" (or a shell command string)");
        if (!v.contains("kind")) return fail("handler.kind", "missing; one of exec, http, noop, sleep, fail, echo");
        if (!choice<Handler::Kind>(v["kind"], "handler.kind",
                                   {{"exec", Handler::Kind::exec},
                                    {"http", Handler::Kind::http},
                                    {"noop", Handler::Kind::noop},
                                    {"sleep", Handler::Kind::sleep},
                                    {"fail", Handler::Kind::fail},
                                    {"echo", Handler::Kind::echo}},
                                   h.kind))
            return false;
        switch (h.kind) {
            case Handler::Kind::exec:
                if (!only(v, "handler", {"kind", "argv", "env", "cwd"})) return false;
                if (!v.contains("argv")) return fail("handler.argv", "missing: the program and its arguments");
                if (!strings(v["argv"], "handler.argv", h.argv, 1024)) return false;
                if (h.argv.empty()) return fail("handler.argv", "must name a program");
                if (v.contains("env") && !string_map(v["env"], "handler.env", h.env)) return false;
                if (v.contains("cwd")) {
                    if (!string(v["cwd"], "handler.cwd", h.cwd, 4096, true)) return false;
                    if (h.cwd.front() != '/') return fail("handler.cwd", "must be an absolute path");
                }
                return true;
            case Handler::Kind::http: {
                if (!only(v, "handler", {"kind", "method", "url", "headers", "body"})) return false;
                if (v.contains("method") && !choice<std::string>(v["method"], "handler.method",
                                                                 {{"GET", "GET"},
                                                                  {"POST", "POST"},
                                                                  {"PUT", "PUT"},
                                                                  {"PATCH", "PATCH"},
                                                                  {"DELETE", "DELETE"},
                                                                  {"HEAD", "HEAD"}},
                                                                 h.method))
                    return false;
                if (!v.contains("url")) return fail("handler.url", "missing");
                if (!string(v["url"], "handler.url", h.url, 4096, true)) return false;
                std::string why;
                if (!parse_http_url(h.url, why)) return fail("handler.url", why);
                if (v.contains("headers") && !string_map(v["headers"], "handler.headers", h.headers)) return false;
                if (v.contains("body") && !string(v["body"], "handler.body", h.body, 1 << 20)) return false;
                return true;
            }
            case Handler::Kind::sleep:
                if (!only(v, "handler", {"kind", "ms"})) return false;
                if (!v.contains("ms")) return fail("handler.ms", "missing: how long to sleep");
                return integer(v["ms"], "handler.ms", 0, state::operation_timeout_ms_max, h.sleep_ms);
            case Handler::Kind::fail:
            case Handler::Kind::echo:
                if (!only(v, "handler", {"kind", "message"})) return false;
                return !v.contains("message") || string(v["message"], "handler.message", h.message, 65536);
            case Handler::Kind::noop: return only(v, "handler", {"kind"});
            case Handler::Kind::shell: break;
        }
        return true;
    }
};

}  // namespace

std::optional<state::OperationSpec> operation_from_json(std::string_view body, bool allow_shell,
                                                        const schedule::ZoneLoader& zones, std::string& error) {
    const json v = json::parse(body, nullptr, false);
    if (v.is_discarded()) {
        error = "body: not valid JSON";
        return std::nullopt;
    }
    Reader r{error};
    if (!v.is_object()) {
        r.fail("body", "must be a JSON object");
        return std::nullopt;
    }
    state::OperationSpec op;
    std::uint64_t n = 0;
    const bool ok = [&] {
        if (!r.only(v, "",
                    {"id", "name", "handler", "schedule", "intervalMs", "triggers", "timeoutMs", "retry", "retries",
                     "retryBackoffMs", "concurrency", "catchUp", "onLeaderLoss"}))
            return false;
        if (!v.contains("id")) return r.fail("id", "missing");
        if (!r.string(v["id"], "id", op.id, state::operation_id_max, true)) return false;
        if (op.id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") !=
            std::string::npos)
            return r.fail("id", "may hold only letters, digits, '.', '_' and '-'");
        op.name = op.id;
        if (v.contains("name") && !r.string(v["name"], "name", op.name, 256)) return false;
        if (!v.contains("handler")) return r.fail("handler", "missing: what the operation runs");
        if (!r.handler(v["handler"], allow_shell, op.handler)) return false;
        std::optional<schedule::Schedule> parsed;
        if (v.contains("schedule") && !v["schedule"].is_null()) {
            std::string s, why;
            if (!r.string(v["schedule"], "schedule", s, 256, true)) return false;
            parsed = schedule::parse(s, why, zones);
            if (!parsed) return r.fail("schedule", why);
            op.schedule = s;
        }
        // An interval in ms, as the JavaScript daemons write it: the same schedule as
        // "@every <N>ms" (shown back as that schedule, with intervalMs beside it).
        if (v.contains("intervalMs") && !v["intervalMs"].is_null()) {
            if (!r.integer(v["intervalMs"], "intervalMs", 100, 366ULL * 24 * 3600 * 1000, n)) return false;
            if (parsed) {
                // Both (a definition read back and posted again): they must agree.
                if (parsed->kind != schedule::Schedule::Kind::every || parsed->every_ms != static_cast<std::int64_t>(n))
                    return r.fail("intervalMs", "give a schedule or an intervalMs, not both (they differ)");
            } else {
                op.schedule = "@every " + std::to_string(n) + "ms";
            }
        }
        if (v.contains("triggers")) {
            const json& t = v["triggers"];
            if (!t.is_object())
                return r.fail("triggers",
                              "must be an object (topics, filter, afterSuccess, afterFailure, idleThresholdMs)");
            if (!r.only(t, "triggers", {"topics", "filter", "afterSuccess", "afterFailure", "idleThresholdMs"}))
                return false;
            if (t.contains("idleThresholdMs") && !t["idleThresholdMs"].is_null() &&
                !r.integer(t["idleThresholdMs"], "triggers.idleThresholdMs", state::operation_idle_ms_min,
                           state::operation_idle_ms_max, op.idle_threshold_ms))
                return false;
            if (t.contains("topics") && !r.strings(t["topics"], "triggers.topics", op.topics, 64)) return false;
            if (t.contains("filter") && !t["filter"].is_null()) {
                // {"env": "prod", "service.name": "api"}: what the event body must hold.
                const json& f = t["filter"];
                if (!f.is_object())
                    return r.fail("triggers.filter", "must be an object of dotted paths in the event body and values");
                if (op.topics.empty()) return r.fail("triggers.filter", "filters events: give triggers.topics too");
                if (f.size() > state::event_filter_max)
                    return r.fail("triggers.filter",
                                  "more than " + std::to_string(state::event_filter_max) + " entries");
                for (const auto& [path, value] : f.items()) {
                    const std::string at = "triggers.filter." + path;
                    if (path.empty() || path.size() > 256 || path.front() == '.' || path.back() == '.' ||
                        path.find("..") != std::string::npos)
                        return r.fail("triggers.filter", "'" + path + "' is not a dotted path (a.b.c, 1-256 bytes)");
                    if (value.is_structured())
                        return r.fail(at, "must be a string, number, boolean or null (compared with the body's)");
                    op.event_filter[path] = value.dump();
                }
            }
            if (t.contains("afterSuccess") &&
                !r.strings(t["afterSuccess"], "triggers.afterSuccess", op.after_success, 64))
                return false;
            if (t.contains("afterFailure") &&
                !r.strings(t["afterFailure"], "triggers.afterFailure", op.after_failure, 64))
                return false;
        }
        if (v.contains("timeoutMs")) {
            if (!r.integer(v["timeoutMs"], "timeoutMs", 1, state::operation_timeout_ms_max, op.timeout_ms))
                return false;
        }
        // The retry policy, or its two older fields (retries is maxAttempts - 1); both
        // (a definition read back and posted again) must agree.
        const json* policy = v.contains("retry") ? &v["retry"] : nullptr;
        if (policy) {
            const json& p = *policy;
            if (!p.is_object())
                return r.fail(
                    "retry",
                    "must be an object (maxAttempts, backoffMs, backoffMultiplier, maxBackoffMs, jitterFactor)");
            if (!r.only(p, "retry", {"maxAttempts", "backoffMs", "backoffMultiplier", "maxBackoffMs", "jitterFactor"}))
                return false;
            if (p.contains("maxAttempts")) {
                if (!r.integer(p["maxAttempts"], "retry.maxAttempts", 1, state::operation_retries_max + 1, n))
                    return false;
                op.retries = static_cast<std::uint32_t>(n - 1);
            }
            if (p.contains("backoffMs") &&
                !r.integer(p["backoffMs"], "retry.backoffMs", 0, state::operation_backoff_ms_max, op.retry_backoff_ms))
                return false;
            if (p.contains("backoffMultiplier") && !r.number(p["backoffMultiplier"], "retry.backoffMultiplier", 1.0,
                                                             state::operation_multiplier_max, op.retry_multiplier))
                return false;
            if (p.contains("maxBackoffMs") && !r.integer(p["maxBackoffMs"], "retry.maxBackoffMs", 0,
                                                         state::operation_backoff_ms_max, op.retry_max_backoff_ms))
                return false;
            if (p.contains("jitterFactor") &&
                !r.number(p["jitterFactor"], "retry.jitterFactor", 0.0, 1.0, op.retry_jitter))
                return false;
        }
        if (v.contains("retries")) {
            if (!r.integer(v["retries"], "retries", 0, state::operation_retries_max, n)) return false;
            if (policy && policy->contains("maxAttempts") && n != op.retries)
                return r.fail("retries", "disagrees with retry.maxAttempts (retries is maxAttempts - 1): give one");
            op.retries = static_cast<std::uint32_t>(n);
        }
        if (v.contains("retryBackoffMs")) {
            if (!r.integer(v["retryBackoffMs"], "retryBackoffMs", 0, state::operation_backoff_ms_max, n)) return false;
            if (policy && policy->contains("backoffMs") && n != op.retry_backoff_ms)
                return r.fail("retryBackoffMs", "disagrees with retry.backoffMs: give one");
            op.retry_backoff_ms = n;
        }
        using state::CatchUp, state::Concurrency, state::OnLeaderLoss;
        if (v.contains("concurrency") &&
            !r.choice<Concurrency>(
                v["concurrency"], "concurrency",
                {{"allow", Concurrency::allow}, {"forbid", Concurrency::forbid}, {"replace", Concurrency::replace}},
                op.concurrency))
            return false;
        if (v.contains("catchUp") &&
            !r.choice<CatchUp>(v["catchUp"], "catchUp",
                               {{"skip", CatchUp::skip}, {"once", CatchUp::once}, {"all", CatchUp::all}}, op.catch_up))
            return false;
        if (v.contains("onLeaderLoss") &&
            !r.choice<OnLeaderLoss>(v["onLeaderLoss"], "onLeaderLoss",
                                    {{"retry", OnLeaderLoss::retry}, {"abandon", OnLeaderLoss::abandon}},
                                    op.on_leader_loss))
            return false;
        return true;
    }();
    if (!ok) return std::nullopt;
    return op;
}

std::string operation_to_json(const state::OperationSpec& op) {
    json h;
    h["kind"] = state::to_string(op.handler.kind);
    const Handler& x = op.handler;
    switch (x.kind) {
        case Handler::Kind::exec:
            h["argv"] = x.argv;
            if (!x.env.empty()) h["env"] = x.env;
            if (!x.cwd.empty()) h["cwd"] = x.cwd;
            break;
        case Handler::Kind::http:
            h["method"] = x.method;
            h["url"] = x.url;
            if (!x.headers.empty()) h["headers"] = x.headers;
            if (!x.body.empty()) h["body"] = x.body;
            break;
        case Handler::Kind::shell: h = x.command; break;
        case Handler::Kind::sleep: h["ms"] = x.sleep_ms; break;
        case Handler::Kind::fail:
        case Handler::Kind::echo:
            if (!x.message.empty()) h["message"] = x.message;
            break;
        case Handler::Kind::noop: break;
    }
    json j{{"id", op.id},
           {"name", op.name},
           {"handler", h},
           {"timeoutMs", op.timeout_ms},
           {"retry",
            {{"maxAttempts", op.retries + 1},
             {"backoffMs", op.retry_backoff_ms},
             {"backoffMultiplier", op.retry_multiplier},
             {"maxBackoffMs", op.retry_max_backoff_ms},
             {"jitterFactor", op.retry_jitter}}},
           // The older names of two of them, for clients that read those.
           {"retries", op.retries},
           {"retryBackoffMs", op.retry_backoff_ms},
           {"concurrency", state::to_string(op.concurrency)},
           {"catchUp", state::to_string(op.catch_up)},
           {"onLeaderLoss", state::to_string(op.on_leader_loss)}};
    if (op.schedule) {
        j["schedule"] = *op.schedule;
        std::string why;
        if (auto sc = schedule::parse(*op.schedule, why); sc && sc->kind == schedule::Schedule::Kind::every)
            j["intervalMs"] = sc->every_ms;
    }
    if (!op.topics.empty() || !op.after_success.empty() || !op.after_failure.empty())
        j["triggers"] = {{"topics", op.topics}, {"afterSuccess", op.after_success}, {"afterFailure", op.after_failure}};
    if (op.idle_threshold_ms != 0) j["triggers"]["idleThresholdMs"] = op.idle_threshold_ms;
    if (!op.event_filter.empty()) {
        json f = json::object();
        for (const auto& [path, value] : op.event_filter) f[path] = json::parse(value, nullptr, false);
        j["triggers"]["filter"] = f;
    }
    return j.dump();
}

}  // namespace raftor::http
