#pragma once
// The node's configuration: the daemon-config.json shape, then the
// environment (NODE_ID, CLUSTER_NODES, CLUSTER_ID, LOG_LEVEL), then flags. The one
// place that parses configuration; every error names the key and where it came from.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace raftor::config {

struct Member {
    std::string name;  // what NODE_ID refers to; the address when no name is given
    std::string host;
    std::uint16_t port = 0;
    std::uint64_t raft_id = 0;  // stable, derived from the name
    bool operator==(const Member&) const = default;
};

struct RaftSettings {
    bool enabled = true;
    std::uint32_t min_cluster_size = 1;
    std::uint32_t heartbeat_interval_ms = 150;
    std::uint32_t election_timeout_ms = 1500;
    std::uint64_t snapshot_interval_ops = 100'000;
    std::uint64_t max_log_size = 1'000'000;
    // Flow control, in bytes of entries: what the leader has proposed and a quorum has
    // not stored (beyond it writes get 503 and Retry-After), and what it has sent one
    // follower and not heard back about.
    std::uint64_t uncommitted_bytes_max = 32u << 20;
    std::uint64_t inflight_bytes_max = 8u << 20;
    // Payloads of the log kept in memory; older ones are read back from the WAL when a
    // follower needs them.
    std::uint64_t log_cache_bytes = 8u << 20;
    // Start outside the configuration and wait to be added (POST /admin/members) instead
    // of bootstrapping with the listed members as voters. Only matters on an empty data dir.
    bool join = false;
};

struct TlsSettings {
    std::string ca_file, cert_file, key_file;
    // tls.enabled: on when a certificate is given unless set false; true without one is
    // a configuration error.
    std::optional<bool> enabled_flag;
    bool enabled() const { return enabled_flag.value_or(!cert_file.empty()); }
    // HTTPS asks clients for a certificate signed by tls.ca (tls.requestCert), and
    // refuses those without a valid one (tls.rejectUnauthorized, the default).
    bool request_cert = false;
    bool reject_unauthorized = true;
};

struct ListenSettings {
    std::string http = "0.0.0.0:8080";
    std::string peer = "0.0.0.0:8081";
    std::string https;                                    // "0.0.0.0:8443" when TLS is configured and this is empty
    std::uint32_t http_connections_max = 4096;            // HTTP and HTTPS connections open at once
    std::uint32_t http_connections_per_client_max = 512;  // ... from one client address
};

// How handlers run: a plain string handler is `shell` (split at spaces) followed by
// the string, and only when allowed.
struct HandlerSettings {
    bool allow_shell = false;
    std::string shell = "/bin/sh -c";
    std::uint64_t output_max_bytes = 64 * 1024;
    std::vector<std::string> http_hosts;        // besides loopback, the hosts http handlers may call
    std::string https_ca;                       // https handlers verify servers with this CA (the system's when empty)
    std::string user;                           // exec and shell handlers run as this user (the node must be root)
    std::map<std::string, std::string> env;     // every exec and shell handler's environment, under its own
    std::vector<std::string> allowed_programs;  // globs of absolute paths; empty: any program
    std::string work_dir;  // per-execution scratch directories here; empty: a new $TMPDIR/raftor-handlers-<node>-XXXXXX
};

// Token buckets per client address and route class (0 per second: unlimited).
struct RateLimitSettings {
    std::uint32_t open_per_second = 200, open_burst = 400;        // probes, metrics, console
    std::uint32_t read_per_second = 5'000, read_burst = 10'000;   // reads that need the read scope
    std::uint32_t write_per_second = 2'000, write_burst = 4'000;  // everything that needs admin
    bool exempt_loopback = true;
};

struct NodeConfig {
    std::uint32_t max_concurrent = 10;
    std::uint64_t health_check_interval_ms = 30'000;
    // The per-minute rollups behind /metrics/7d and /metrics/month, and the leader terms
    // behind failoverCount and uptime: kept this long, and never less than 35 days.
    std::uint64_t metrics_retention_ms = 3'600'000;
    std::uint64_t history_retention_ms = 30 * 86'400'000ULL;   // history.retentionMs
    std::uint64_t receipts_retention_ms = 30 * 86'400'000ULL;  // receipts.retentionMs
    std::string log_level = "info";
    bool log_json = false;
    RaftSettings raft;
    TlsSettings tls;
    // A file holding the cluster secret peers prove they share (when there is no mutual
    // TLS): peer.secretFile, or CLUSTER_SECRET_FILE.
    std::string peer_secret_file;
    // Or the secret itself, from the environment only (CLUSTER_SECRET: a Kubernetes
    // Secret or a systemd credential), never from a file that may be shared.
    std::string peer_secret;
    bool peer_secret_set() const { return !peer_secret_file.empty() || !peer_secret.empty(); }
    std::string auth_token;       // admin scope (AUTH_TOKEN)
    std::string auth_read_token;  // read scope (AUTH_READ_TOKEN)
    std::string data_dir = "./data";
    ListenSettings listen;
    std::uint64_t max_body_bytes = 1 << 20;
    std::uint64_t storage_map_bytes = std::uint64_t{1} << 30;
    // The WAL's segment files are preallocated this size (smaller: less disk held ahead).
    std::uint64_t storage_wal_segment_bytes = std::uint64_t{32} << 20;
    std::uint64_t cache_max_size = 1000;  // operations' definitions kept rendered (CACHE_MAX_SIZE)
    std::uint64_t history_max = 100'000;  // finished executions kept (and their receipts)
    HandlerSettings handlers;
    RateLimitSettings rate_limit;

    std::string node_id;
    std::vector<Member> cluster_nodes;
    std::string cluster_id = "raftor";
};

// One error, in one line: "<source>: <key>: <what>".
struct Error {
    std::string source;  // a file path, "environment" or "flag --x"
    std::string key;
    std::string what;
    std::string line() const { return source + ": " + key + ": " + what; }
};

// Applies a JSON document (the file's text) on top of `cfg`.
std::optional<Error> apply_json(NodeConfig& cfg, const std::string& text, const std::string& source);
std::optional<Error> load_file(NodeConfig& cfg, const std::string& path);

// Applies NODE_ID, CLUSTER_NODES, CLUSTER_ID and LOG_LEVEL; `getenv` is injected for tests.
using Getenv = std::function<const char*(const char*)>;
std::optional<Error> apply_env(NodeConfig& cfg, const Getenv& getenv);

// Command-line values, already split by the CLI parser (main.cpp).
struct Flags {
    std::optional<std::string> node_id, cluster_nodes, data_dir;
    std::optional<bool> raft_enabled;
    std::optional<bool> join;
};
std::optional<Error> apply_flags(NodeConfig& cfg, const Flags& flags);

// Checks across keys, once every source is applied.
std::optional<Error> validate(const NodeConfig& cfg);

// Why a token is too weak to start with (short, repeated, a published placeholder).
std::optional<std::string> weak_token(const std::string& token);

// Whether `host` (of a listen address) is reachable from this machine only.
bool loopback_host(const std::string& host);

// "name=host:port" or "host:port", comma separated.
std::optional<std::string> parse_members(const std::string& text, std::vector<Member>& out);
std::uint64_t raft_id_of(const std::string& name);

}  // namespace raftor::config
