#include "config/node_config.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <tuple>

#include "runtime/common/host_port.hpp"
#include "runtime/common/secret_file.hpp"

namespace raftor::config {

namespace {

using json = nlohmann::json;

// The known keys, by their dotted path in the file, each with its type and range.
struct Field {
    enum Kind { boolean, integer, text, strings } kind;  // strings: an object of string values
    std::uint64_t min = 0, max = 0;
    std::function<void(NodeConfig&, const json&)> set;
};

template <typename T>
Field integer(T NodeConfig::*member, std::uint64_t min, std::uint64_t max) {
    return {Field::integer, min, max, [member](NodeConfig& c, const json& v) { c.*member = v.get<T>(); }};
}

// "a, b,c": the items, split at commas and spaces, empty ones dropped.
std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> out;
    std::string item;
    for (char ch : text + ",") {
        if (ch != ',' && ch != ' ') {
            item += ch;
        } else if (!item.empty()) {
            out.push_back(std::move(item));
            item.clear();
        }
    }
    return out;
}

const std::map<std::string, Field>& fields() {
    static const std::map<std::string, Field> f = [] {
        std::map<std::string, Field> m;
        constexpr std::uint64_t u32 = std::numeric_limits<std::uint32_t>::max();
        constexpr std::uint64_t day_ms = 86'400'000;
        m["maxConcurrent"] = integer(&NodeConfig::max_concurrent, 1, 10'000);
        m["healthCheckIntervalMs"] = integer(&NodeConfig::health_check_interval_ms, 100, day_ms);
        m["metricsRetentionMs"] = integer(&NodeConfig::metrics_retention_ms, 1000, 400 * day_ms);
        // A body becomes one Raft entry: it must fit a peer frame (64 MiB) with room to spare,
        // or that entry could never be replicated.
        m["maxBodyBytes"] = integer(&NodeConfig::max_body_bytes, 1024, std::uint64_t{16} << 20);
        m["storageMapBytes"] = integer(&NodeConfig::storage_map_bytes, std::uint64_t{1} << 20, std::uint64_t{1} << 44);
        m["storageWalSegmentBytes"] =
            integer(&NodeConfig::storage_wal_segment_bytes, std::uint64_t{1} << 20, std::uint64_t{1} << 30);
        m["logLevel"] = {Field::text, 0, 0, [](NodeConfig& c, const json& v) { c.log_level = v.get<std::string>(); }};
        m["logJson"] = {Field::boolean, 0, 0, [](NodeConfig& c, const json& v) { c.log_json = v.get<bool>(); }};
        m["dataDir"] = {Field::text, 0, 0, [](NodeConfig& c, const json& v) { c.data_dir = v.get<std::string>(); }};
        m["clusterId"] = {Field::text, 0, 0, [](NodeConfig& c, const json& v) { c.cluster_id = v.get<std::string>(); }};
        m["nodeId"] = {Field::text, 0, 0, [](NodeConfig& c, const json& v) { c.node_id = v.get<std::string>(); }};
        m["raft.enabled"] = {Field::boolean, 0, 0,
                             [](NodeConfig& c, const json& v) { c.raft.enabled = v.get<bool>(); }};
        m["raft.minClusterSize"] = {Field::integer, 1, 7, [](NodeConfig& c, const json& v) {
                                        c.raft.min_cluster_size = v.get<std::uint32_t>();
                                    }};
        m["raft.heartbeatIntervalMs"] = {Field::integer, 10, 60'000, [](NodeConfig& c, const json& v) {
                                             c.raft.heartbeat_interval_ms = v.get<std::uint32_t>();
                                         }};
        m["raft.electionTimeoutMs"] = {Field::integer, 50, 600'000, [](NodeConfig& c, const json& v) {
                                           c.raft.election_timeout_ms = v.get<std::uint32_t>();
                                       }};
        m["raft.snapshotIntervalOps"] = {Field::integer, 100, u32 * 16, [](NodeConfig& c, const json& v) {
                                             c.raft.snapshot_interval_ops = v.get<std::uint64_t>();
                                         }};
        // At least one largest value (1 MiB) plus its framing fits in either.
        m["raft.uncommittedBytesMax"] = {Field::integer, 2u << 20, u32, [](NodeConfig& c, const json& v) {
                                             c.raft.uncommitted_bytes_max = v.get<std::uint64_t>();
                                         }};
        m["raft.inflightBytesMax"] = {Field::integer, 2u << 20, u32, [](NodeConfig& c, const json& v) {
                                          c.raft.inflight_bytes_max = v.get<std::uint64_t>();
                                      }};
        m["raft.logCacheBytes"] = {Field::integer, 2u << 20, u32, [](NodeConfig& c, const json& v) {
                                       c.raft.log_cache_bytes = v.get<std::uint64_t>();
                                   }};
        m["raft.join"] = {Field::boolean, 0, 0, [](NodeConfig& c, const json& v) { c.raft.join = v.get<bool>(); }};
        m["raft.maxLogSize"] = {Field::integer, 1000, u32 * 16,
                                [](NodeConfig& c, const json& v) { c.raft.max_log_size = v.get<std::uint64_t>(); }};
        m["tls.ca"] = {Field::text, 0, 0, [](NodeConfig& c, const json& v) { c.tls.ca_file = v.get<std::string>(); }};
        m["tls.cert"] = {Field::text, 0, 0,
                         [](NodeConfig& c, const json& v) { c.tls.cert_file = v.get<std::string>(); }};
        m["tls.key"] = {Field::text, 0, 0, [](NodeConfig& c, const json& v) { c.tls.key_file = v.get<std::string>(); }};
        m["tls.enabled"] = {Field::boolean, 0, 0,
                            [](NodeConfig& c, const json& v) { c.tls.enabled_flag = v.get<bool>(); }};
        m["tls.requestCert"] = {Field::boolean, 0, 0,
                                [](NodeConfig& c, const json& v) { c.tls.request_cert = v.get<bool>(); }};
        m["tls.rejectUnauthorized"] = {Field::boolean, 0, 0,
                                       [](NodeConfig& c, const json& v) { c.tls.reject_unauthorized = v.get<bool>(); }};
        m["peer.secretFile"] = {Field::text, 0, 0,
                                [](NodeConfig& c, const json& v) { c.peer_secret_file = v.get<std::string>(); }};
        m["auth.token"] = {Field::text, 0, 0,
                           [](NodeConfig& c, const json& v) { c.auth_token = v.get<std::string>(); }};
        m["auth.readToken"] = {Field::text, 0, 0,
                               [](NodeConfig& c, const json& v) { c.auth_read_token = v.get<std::string>(); }};
        m["listen.http"] = {Field::text, 0, 0,
                            [](NodeConfig& c, const json& v) { c.listen.http = v.get<std::string>(); }};
        m["listen.peer"] = {Field::text, 0, 0,
                            [](NodeConfig& c, const json& v) { c.listen.peer = v.get<std::string>(); }};
        m["listen.https"] = {Field::text, 0, 0,
                             [](NodeConfig& c, const json& v) { c.listen.https = v.get<std::string>(); }};
        m["listen.httpConnectionsMax"] = {Field::integer, 1, 1'000'000, [](NodeConfig& c, const json& v) {
                                              c.listen.http_connections_max = v.get<std::uint32_t>();
                                          }};
        m["listen.httpConnectionsPerClientMax"] = {
            Field::integer, 1, 1'000'000,
            [](NodeConfig& c, const json& v) { c.listen.http_connections_per_client_max = v.get<std::uint32_t>(); }};
        m["cacheMaxSize"] = integer(&NodeConfig::cache_max_size, 0, 10'000'000);
        m["historyMax"] = integer(&NodeConfig::history_max, 100, std::uint64_t{1} << 32);
        m["history.retentionMs"] = integer(&NodeConfig::history_retention_ms, 1000, 400 * day_ms);
        m["receipts.retentionMs"] = integer(&NodeConfig::receipts_retention_ms, 1000, 400 * day_ms);
        m["handlers.allowShell"] = {Field::boolean, 0, 0,
                                    [](NodeConfig& c, const json& v) { c.handlers.allow_shell = v.get<bool>(); }};
        m["handlers.shell"] = {Field::text, 0, 0,
                               [](NodeConfig& c, const json& v) { c.handlers.shell = v.get<std::string>(); }};
        m["handlers.outputMaxBytes"] = {Field::integer, 0, 1 << 20, [](NodeConfig& c, const json& v) {
                                            c.handlers.output_max_bytes = v.get<std::uint64_t>();
                                        }};
        m["handlers.httpHosts"] = {Field::text, 0, 0, [](NodeConfig& c, const json& v) {
                                       c.handlers.http_hosts = split_list(v.get<std::string>());
                                   }};
        m["handlers.httpsCa"] = {Field::text, 0, 0,
                                 [](NodeConfig& c, const json& v) { c.handlers.https_ca = v.get<std::string>(); }};
        m["handlers.allowedPrograms"] = {Field::text, 0, 0, [](NodeConfig& c, const json& v) {
                                             c.handlers.allowed_programs = split_list(v.get<std::string>());
                                         }};
        m["handlers.workDir"] = {Field::text, 0, 0,
                                 [](NodeConfig& c, const json& v) { c.handlers.work_dir = v.get<std::string>(); }};
        m["handlers.user"] = {Field::text, 0, 0,
                              [](NodeConfig& c, const json& v) { c.handlers.user = v.get<std::string>(); }};
        m["handlers.env"] = {Field::strings, 0, 0, [](NodeConfig& c, const json& v) {
                                 c.handlers.env.clear();
                                 for (const auto& [k, x] : v.items()) c.handlers.env[k] = x.get<std::string>();
                             }};
        const auto rate = [](std::uint32_t RateLimitSettings::*member) {
            return Field{Field::integer, 0, 1'000'000,
                         [member](NodeConfig& c, const json& v) { c.rate_limit.*member = v.get<std::uint32_t>(); }};
        };
        m["rateLimit.openPerSecond"] = rate(&RateLimitSettings::open_per_second);
        m["rateLimit.openBurst"] = rate(&RateLimitSettings::open_burst);
        m["rateLimit.readPerSecond"] = rate(&RateLimitSettings::read_per_second);
        m["rateLimit.readBurst"] = rate(&RateLimitSettings::read_burst);
        m["rateLimit.writePerSecond"] = rate(&RateLimitSettings::write_per_second);
        m["rateLimit.writeBurst"] = rate(&RateLimitSettings::write_burst);
        m["rateLimit.exemptLoopback"] = {
            Field::boolean, 0, 0, [](NodeConfig& c, const json& v) { c.rate_limit.exempt_loopback = v.get<bool>(); }};
        m["clusterNodes"] = {Field::text, 0, 0, nullptr};  // parsed as a member list below
        return m;
    }();
    return f;
}

const std::set<std::string>& sections() {
    static const std::set<std::string> s{"raft", "tls",       "auth",    "listen",  "handlers",
                                         "peer", "rateLimit", "history", "receipts"};
    return s;
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const bool same = std::tolower(a[i - 1]) == std::tolower(b[j - 1]);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same ? 0 : 1)});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

std::string unknown_key(const std::string& key) {
    std::string best;
    std::size_t best_d = 4;
    for (const auto& [k, _] : fields()) {
        const std::size_t d = edit_distance(key, k);
        if (d < best_d) best_d = d, best = k;
    }
    return best.empty() ? "unknown key" : "unknown key (did you mean '" + best + "'?)";
}

const char* type_name(Field::Kind k) {
    switch (k) {
        case Field::boolean: return "true or false";
        case Field::integer: return "a whole number";
        case Field::text: return "a string";
        case Field::strings: return "an object of strings";
    }
    return "?";
}

bool env_name(const std::string& k) {
    if (k.empty() || std::isdigit(static_cast<unsigned char>(k[0]))) return false;
    return std::all_of(k.begin(), k.end(),
                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

std::optional<Error> set_field(NodeConfig& cfg, const std::string& key, const json& v, const std::string& source) {
    if (key.empty() || key.back() == '.') return Error{source, key + "\"\"", "an empty key"};
    auto it = fields().find(key);
    if (it == fields().end()) return Error{source, key, unknown_key(key)};
    const Field& f = it->second;
    const bool type_ok = (f.kind == Field::boolean && v.is_boolean()) ||
                         (f.kind == Field::integer && v.is_number_integer()) ||
                         (f.kind == Field::text && v.is_string()) || (f.kind == Field::strings && v.is_object());
    if (!type_ok) return Error{source, key, std::string("must be ") + type_name(f.kind) + ", not " + v.dump()};
    if (f.kind == Field::strings) {
        for (const auto& [k, x] : v.items()) {
            if (!x.is_string()) return Error{source, key + "." + k, "must be a string, not " + x.dump()};
            if (key == "handlers.env" && !env_name(k))
                return Error{source, key + "." + k, "is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)"};
            if (x.get<std::string>().find('\0') != std::string::npos)
                return Error{source, key + "." + k, "must not contain a NUL byte"};
        }
    }
    if (f.kind == Field::integer) {
        if (v.is_number_integer() && !v.is_number_unsigned() && v.get<std::int64_t>() < 0)
            return Error{source, key, "must not be negative, got " + v.dump()};
        const std::uint64_t n = v.get<std::uint64_t>();
        if (n < f.min || n > f.max)
            return Error{source, key,
                         "must be between " + std::to_string(f.min) + " and " + std::to_string(f.max) + ", got " +
                             std::to_string(n)};
    }
    if (key == "clusterNodes") {
        std::vector<Member> members;
        if (auto e = parse_members(v.get<std::string>(), members)) return Error{source, key, *e};
        cfg.cluster_nodes = std::move(members);
        return std::nullopt;
    }
    f.set(cfg, v);
    return std::nullopt;
}

const std::set<std::string>& log_levels() {
    static const std::set<std::string> s{"trace", "debug", "info", "warn", "error", "critical", "off"};
    return s;
}

}  // namespace

std::optional<std::string> weak_token(const std::string& token) {
    static const char* const known[] = {"production-auth-token-here",
                                        "change-me-before-deploying",
                                        "your-secure-api-token-here",
                                        "changeme",
                                        "secret",
                                        "token"};
    std::string low = token;
    std::transform(low.begin(), low.end(), low.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (const char* k : known)
        if (low == k) return std::string("is a published placeholder, not a secret");
    if (token.size() < 32)
        return "is " + std::to_string(token.size()) +
               " bytes; at least 32 are needed (make one with: openssl rand -hex 32)";
    if (std::all_of(token.begin(), token.end(), [&](char c) { return c == token[0]; }))
        return std::string("is one character repeated");
    return std::nullopt;
}

bool loopback_host(const std::string& host) {
    return host == "localhost" || host == "::1" || host == "[::1]" || host.rfind("127.", 0) == 0;
}

std::uint64_t raft_id_of(const std::string& name) {
    // FNV-1a: stable across runs and builds; 0 is reserved for "no node".
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
    return h == 0 ? 1 : h;
}

std::optional<std::string> parse_members(const std::string& text, std::vector<Member>& out) {
    out.clear();
    std::stringstream ss(text);
    std::string item;
    std::set<std::string> names;
    while (std::getline(ss, item, ',')) {
        item.erase(0, item.find_first_not_of(" \t"));
        item.erase(item.find_last_not_of(" \t") + 1);
        if (item.empty()) continue;
        Member m;
        std::string addr = item;
        if (auto eq = item.find('='); eq != std::string::npos) {
            m.name = item.substr(0, eq);
            addr = item.substr(eq + 1);
        }
        const auto colon = addr.rfind(':');
        if (colon == std::string::npos || colon == 0) return "'" + item + "' is not host:port or name=host:port";
        if (!common::split_host_port(addr, m.host, m.port)) return "'" + item + "' has no valid port (1-65535)";
        if (m.name.empty()) m.name = addr;
        if (!names.insert(m.name).second) return "'" + m.name + "' is listed twice";
        m.raft_id = raft_id_of(m.name);
        out.push_back(std::move(m));
    }
    if (out.empty()) return std::string("no members listed");
    if (out.size() > 7) return "at most 7 members, got " + std::to_string(out.size());
    return std::nullopt;
}

std::optional<Error> apply_json(NodeConfig& cfg, const std::string& text, const std::string& source) {
    json doc;
    // A key given twice would silently lose one value: refused, naming it.
    std::vector<std::set<std::string>> seen;  // the keys of each object open
    std::string section, duplicate;
    const json::parser_callback_t twice = [&](int, json::parse_event_t event, json& parsed) {
        if (event == json::parse_event_t::object_start) seen.emplace_back();
        if (event == json::parse_event_t::object_end && !seen.empty()) seen.pop_back();
        if (event == json::parse_event_t::key && !seen.empty()) {
            const auto key = parsed.get<std::string>();
            if (seen.size() == 1) section = key;
            if (!seen.back().insert(key).second && duplicate.empty())
                duplicate = seen.size() == 1 ? key : section + "." + key;
        }
        return true;
    };
    try {
        doc = json::parse(text, twice);
    } catch (const json::exception& e) {  // a syntax error, or a number out of range (406)
        return Error{source, "(document)", std::string("not valid JSON: ") + e.what()};
    }
    if (!duplicate.empty()) return Error{source, duplicate, "given twice (one value would be lost)"};
    if (!doc.is_object()) return Error{source, "(document)", "must be a JSON object"};
    for (const auto& [key, value] : doc.items()) {
        if (sections().count(key)) {
            if (!value.is_object()) return Error{source, key, "must be an object, not " + value.dump()};
            for (const auto& [sub, v] : value.items())
                if (auto e = set_field(cfg, key + "." + sub, v, source)) return e;
            continue;
        }
        if (auto e = set_field(cfg, key, value, source)) return e;
    }
    return std::nullopt;
}

std::optional<Error> load_file(NodeConfig& cfg, const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error{path, "(file)", "cannot be read"};
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string admin = cfg.auth_token, reader = cfg.auth_read_token;
    if (auto e = apply_json(cfg, ss.str(), path)) return e;
    // A token in the file makes the file a secret: refused while others may read it.
    const bool token = cfg.auth_token != admin || cfg.auth_read_token != reader;
    if (token)
        if (auto exposed = common::secret_file_exposed(path))
            return Error{path, cfg.auth_token != admin ? "auth.token" : "auth.readToken",
                         "this file holds a token, but " + *exposed +
                             " (or give the token in AUTH_TOKEN / AUTH_READ_TOKEN instead)"};
    return std::nullopt;
}

std::optional<Error> apply_env(NodeConfig& cfg, const Getenv& getenv) {
    const std::string src = "environment";
    if (const char* v = getenv("NODE_ID"); v && *v) cfg.node_id = v;
    if (const char* v = getenv("CLUSTER_ID"); v && *v) cfg.cluster_id = v;
    // The bearer token from a secret (Kubernetes, systemd credentials) rather than the file.
    if (const char* v = getenv("AUTH_TOKEN"); v && *v) cfg.auth_token = v;
    if (const char* v = getenv("AUTH_READ_TOKEN"); v && *v) cfg.auth_read_token = v;
    if (const char* v = getenv("CLUSTER_SECRET_FILE"); v && *v) cfg.peer_secret_file = v;
    if (const char* v = getenv("CLUSTER_SECRET"); v && *v) {
        cfg.peer_secret = v;
        if (cfg.peer_secret.size() < 32)
            return Error{src, "CLUSTER_SECRET",
                         "is " + std::to_string(cfg.peer_secret.size()) +
                             " bytes, fewer than 32 (make one with: openssl rand -hex 32)"};
    }
    if (const char* v = getenv("RAFT_JOIN"); v && *v) {
        const std::string t = v;
        if (t != "true" && t != "false" && t != "1" && t != "0")
            return Error{src, "RAFT_JOIN", "'" + t + "' is not true, false, 1 or 0"};
        cfg.raft.join = t == "true" || t == "1";
    }
    if (const char* v = getenv("LOG_LEVEL"); v && *v) cfg.log_level = v;
    if (const char* v = getenv("CLUSTER_NODES"); v && *v) {
        std::vector<Member> m;
        if (auto e = parse_members(v, m)) return Error{src, "CLUSTER_NODES", *e};
        cfg.cluster_nodes = std::move(m);
    }
    if (const char* v = getenv("CACHE_MAX_SIZE"); v && *v) {
        std::uint64_t n = 0;
        const std::string t = v;
        const bool digits = t.size() <= 9 && t.find_first_not_of("0123456789") == std::string::npos;
        if (!digits || (n = std::stoull(t)) > 10'000'000)
            return Error{src, "CACHE_MAX_SIZE", "'" + t + "' is not a whole number from 0 to 10000000"};
        cfg.cache_max_size = n;
    }
    if (!log_levels().count(cfg.log_level) && getenv("LOG_LEVEL"))
        return Error{src, "LOG_LEVEL",
                     "'" + cfg.log_level + "' is not one of trace, debug, info, warn, error, critical, off"};
    return std::nullopt;
}

std::optional<Error> apply_flags(NodeConfig& cfg, const Flags& f) {
    if (f.node_id) cfg.node_id = *f.node_id;
    if (f.data_dir) cfg.data_dir = *f.data_dir;
    if (f.raft_enabled) cfg.raft.enabled = *f.raft_enabled;
    if (f.join) cfg.raft.join = *f.join;
    if (f.cluster_nodes) {
        std::vector<Member> m;
        if (auto e = parse_members(*f.cluster_nodes, m)) return Error{"flag --cluster-nodes", "--cluster-nodes", *e};
        cfg.cluster_nodes = std::move(m);
    }
    return std::nullopt;
}

std::optional<Error> validate(const NodeConfig& c) {
    const std::string src = "configuration";
    if (!log_levels().count(c.log_level))
        return Error{src, "logLevel",
                     "'" + c.log_level + "' is not one of trace, debug, info, warn, error, critical, off"};
    // A follower campaigns after a random wait in [electionTimeoutMs/2, electionTimeoutMs):
    // even the shortest wait must span a heartbeat and then some, or elections never stop.
    if (c.raft.election_timeout_ms < 3 * std::uint64_t{c.raft.heartbeat_interval_ms})
        return Error{src, "raft.electionTimeoutMs",
                     "must be at least 3 x raft.heartbeatIntervalMs (" +
                         std::to_string(3 * std::uint64_t{c.raft.heartbeat_interval_ms}) + "), got " +
                         std::to_string(c.raft.election_timeout_ms)};
    if (c.data_dir.empty()) return Error{src, "dataDir", "must not be empty"};
    for (const auto& [cls, rate, burst] :
         {std::tuple{"open", c.rate_limit.open_per_second, c.rate_limit.open_burst},
          std::tuple{"read", c.rate_limit.read_per_second, c.rate_limit.read_burst},
          std::tuple{"write", c.rate_limit.write_per_second, c.rate_limit.write_burst}})
        if (rate > 0 && burst < 1)
            return Error{src, std::string("rateLimit.") + cls + "Burst",
                         std::string("must be at least 1 while rateLimit.") + cls + "PerSecond is " +
                             std::to_string(rate) + " (no request could ever be admitted)"};
    for (const auto& [key, value] : {std::pair<const char*, const std::string&>{"listen.http", c.listen.http},
                                     {"listen.peer", c.listen.peer},
                                     {"listen.https", c.listen.https}}) {
        if (value.empty() && std::string(key) == "listen.https") continue;  // the default 0.0.0.0:8443
        std::string host;
        std::uint16_t port = 0;
        if (!common::split_host_port(value, host, port))
            return Error{src, key, "'" + value + "' is not host:port (port 1-65535)"};
    }
    if (!c.handlers.https_ca.empty() && !std::ifstream(c.handlers.https_ca))
        return Error{src, "handlers.httpsCa", "cannot read '" + c.handlers.https_ca + "' (a PEM CA certificate)"};
    // Hosts are compared with a handler URL's host as they are: a scheme, port or path
    // here would never match anything.
    for (const auto& h : c.handlers.http_hosts)
        if (h.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:") !=
            std::string::npos)
            return Error{src, "handlers.httpHosts",
                         "'" + h + "' is not a host name or address (no scheme, port or path)"};
    for (const auto& p : c.handlers.allowed_programs)
        if (p.empty() || p[0] != '/')
            return Error{src, "handlers.allowedPrograms", "'" + p + "' is not an absolute path or glob (/usr/bin/*)"};
    if (!c.handlers.work_dir.empty()) {
        const auto work = std::filesystem::absolute(c.handlers.work_dir).lexically_normal();
        const auto data = std::filesystem::absolute(c.data_dir).lexically_normal();
        auto [d, w] = std::mismatch(data.begin(), data.end(), work.begin(), work.end());
        if (d == data.end())
            return Error{src, "handlers.workDir",
                         "'" + c.handlers.work_dir + "' is inside dataDir: handlers must not reach the node's data"};
    }
    if (c.tls.enabled() && c.tls.cert_file.empty())
        return Error{src, "tls.cert", "is required with tls.enabled (and tls.key)"};
    if (c.tls.enabled() && c.tls.key_file.empty()) return Error{src, "tls.key", "is required with tls.cert"};
    if (!c.tls.enabled_flag && c.tls.cert_file.empty() && (!c.tls.key_file.empty() || !c.tls.ca_file.empty()))
        return Error{src, "tls.cert", "is required with tls.key or tls.ca"};
    if (c.tls.request_cert && !c.tls.enabled())
        return Error{src, "tls.requestCert", "asks HTTPS clients for certificates: it needs TLS (tls.cert, tls.key)"};
    if (c.tls.request_cert && c.tls.ca_file.empty())
        return Error{src, "tls.requestCert", "needs tls.ca, the CA whose client certificates are accepted"};
    for (const auto& [key, token] : {std::pair<const char*, const std::string&>{"auth.token", c.auth_token},
                                     {"auth.readToken", c.auth_read_token}})
        if (!token.empty())
            if (auto why = weak_token(token)) return Error{src, key, *why};
    if (!c.auth_read_token.empty() && c.auth_token.empty())
        return Error{src, "auth.readToken", "needs auth.token too (without it, admin requests would have no token)"};
    if (!c.auth_token.empty() && c.auth_token == c.auth_read_token)
        return Error{src, "auth.readToken", "must differ from auth.token"};
    if (c.raft.enabled) {
        if (c.cluster_nodes.empty())
            return Error{src, "clusterNodes", "no members (set CLUSTER_NODES or --cluster-nodes)"};
        if (c.node_id.empty()) return Error{src, "nodeId", "not set (set NODE_ID or --node-id)"};
        const auto matches = std::count_if(c.cluster_nodes.begin(), c.cluster_nodes.end(),
                                           [&](const Member& m) { return m.name == c.node_id || m.host == c.node_id; });
        if (matches == 0) return Error{src, "nodeId", "'" + c.node_id + "' is not one of the cluster members"};
        if (matches > 1)
            return Error{src, "nodeId",
                         "'" + c.node_id + "' matches several members: name them (name=host:port) and use the name"};
        if (c.cluster_nodes.size() < c.raft.min_cluster_size)
            return Error{src, "raft.minClusterSize",
                         std::to_string(c.raft.min_cluster_size) + " exceeds the " +
                             std::to_string(c.cluster_nodes.size()) + " members listed"};
    }
    if (c.raft.enabled && !c.tls.enabled() && !c.peer_secret_set()) {
        // Peers that prove nothing are only safe where no one else can reach them.
        std::string host;
        std::uint16_t port = 0;
        common::split_host_port(c.listen.peer, host, port);
        if (!loopback_host(host))
            return Error{src, "listen.peer",
                         "'" + c.listen.peer +
                             "' reaches beyond loopback but peers prove nothing: set peer.secretFile (a file made "
                             "with 'openssl rand -hex 32', mode 600, the same on every member) or tls.ca, tls.cert "
                             "and tls.key, or listen on 127.0.0.1"};
    }
    return std::nullopt;
}

}  // namespace raftor::config
