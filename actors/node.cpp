#include "actors/node.hpp"

#include <malloc.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "actors/loop_coordinator.hpp"
#include "actors/node_assembly.hpp"
#include "actors/state_store_open.hpp"
#include "actors/timeouts.hpp"
#include "actors/transport.hpp"
#include "runtime/backup/backup.hpp"
#include "runtime/common/host_port.hpp"
#include "runtime/crypto/key_file.hpp"
#include "runtime/exec/scratch_root.hpp"
#include "runtime/http/errors.hpp"
#include "runtime/http/rate_limit.hpp"
#include "runtime/http/server.hpp"
#include "runtime/log/log.hpp"
#include "runtime/net/event_loop.hpp"
#include "runtime/net/peer_auth.hpp"
#include "runtime/node/timing.hpp"
#include "runtime/schedule/tz_file.hpp"
#include "runtime/storage/log_store.hpp"
#include "runtime/storage/state_store_lmdb.hpp"

namespace raftor::actors {

namespace {

std::atomic<int> g_failed{0};

// The member this process is, and everyone else, with stable raft ids.
struct Membership {
    config::Member self;
    std::vector<config::Member> all;
};

Membership membership_of(const config::NodeConfig& cfg) {
    Membership m;
    if (!cfg.raft.enabled || cfg.cluster_nodes.empty()) {
        // A single node: itself, at its peer listen address.
        config::Member me;
        me.name = cfg.node_id.empty() ? "node" : cfg.node_id;
        std::string host;
        std::uint16_t port = 0;
        common::split_host_port(cfg.listen.peer, host, port);
        me.host = host;
        me.port = port;
        me.raft_id = config::raft_id_of(me.name);
        m.self = me;
        m.all = {me};
        return m;
    }
    m.all = cfg.cluster_nodes;
    for (const auto& x : m.all)
        if (x.name == cfg.node_id || x.host == cfg.node_id) m.self = x;
    return m;
}

bool wildcard(const std::string& host) {
    return host == "0.0.0.0" || host == "::" || host == "[::]";
}

// A joining node starts with no configuration: it never campaigns, and learns the
// cluster's configuration from the leader once it is added.
raft::ConfState initial_conf(const Membership& m, bool join) {
    raft::ConfState c;
    if (!join)
        for (const auto& x : m.all) c.voters.push_back(x.raft_id);
    std::sort(c.voters.begin(), c.voters.end());
    return c;
}

// A leader hands leadership to its most caught-up voter before it goes.
void hand_over(caf::actor_system& sys, const caf::actor& peer, const Directory& directory,
               std::chrono::milliseconds within) {
    caf::scoped_actor self{sys};
    self->request(peer, within, step_down_atom::value)
        .receive(
            [&](const AdminAnswerPtr& a) {
                if (a->ok) logging::info("stepped_down", {{"leader", directory.get(a->leader).name}});
            },
            [](caf::error& e) {
                logging::warn("step_down_failed", {{"error", caf::to_string(e)}});
            });
}

// The commit index, which only the next term change would write, made durable.
void flush_storage(caf::actor_system& sys, const caf::actor& peer) {
    caf::scoped_actor self{sys};
    self->request(peer, timeouts::final_sync, sync_atom::value)
        .receive(
            [](bool ok) {
                logging::info("storage_flushed", {{"ok", ok ? "true" : "false"}});
            },
            [](caf::error& e) {
                logging::warn("storage_flush_failed", {{"error", caf::to_string(e)}});
            });
}

// What the configuration decides for each actor of the node (node_assembly.hpp).
NodeSpec node_spec(const config::NodeConfig& cfg, const Membership& members, storage::Loaded loaded,
                   const metrics::CountersPtr& counters, const std::shared_ptr<Directory>& directory,
                   const std::shared_ptr<net::TcpTransport>& tcp, const std::optional<exec::RunAs>& run_as,
                   const exec::Sandbox& sandbox) {
    NodeSpec spec;
    spec.name = members.self.name;
    PeerSetup& p = spec.peer;
    p.config.id = members.self.raft_id;
    const node::Timing timing = node::timing_of(cfg.raft.heartbeat_interval_ms, cfg.raft.election_timeout_ms);
    p.config.heartbeat_ticks = timing.heartbeat_ticks;
    p.config.election_ticks = timing.election_ticks;
    p.config.uncommitted_bytes_max = cfg.raft.uncommitted_bytes_max;
    p.config.inflight_bytes_max = cfg.raft.inflight_bytes_max;
    p.config.log_cache_bytes_max = cfg.raft.log_cache_bytes;
    p.tick = std::chrono::milliseconds(timing.tick_ms);
    p.min_voters = cfg.raft.min_cluster_size;
    p.restore = storage::to_restore(std::move(loaded), initial_conf(members, cfg.raft.join));
    // A snapshot every snapshotIntervalOps applied entries, and the log never holds
    // more than maxLogSize of them: whichever comes first.
    p.options.snapshot_interval_ops = std::min(cfg.raft.snapshot_interval_ops, cfg.raft.max_log_size);
    p.options.ops.history_max = cfg.history_max;
    p.options.ops.history_retention_ms = static_cast<std::int64_t>(cfg.history_retention_ms);
    p.options.ops.receipts_retention_ms = static_cast<std::int64_t>(cfg.receipts_retention_ms);
    p.options.ops.rollup_retention_ms =
        std::max(static_cast<std::int64_t>(cfg.metrics_retention_ms), state::OpsOptions::rollup_retention_min_ms);
    p.counters = counters;
    p.leader_elsewhere = std::make_shared<std::atomic<raft::NodeId>>(0);
    for (const auto& x : members.all) p.names[x.raft_id] = x.name;
    p.ids_implied = [directory](raft::NodeId id) { return directory->protocol(id) >= net::packed_protocol_version; };
    p.on_member = [directory, tcp, self_id = members.self.raft_id](const state::MemberInfo& m) {
        directory->learn(m.id, m.name, m.peer_address);
        std::string host;
        std::uint16_t port = 0;
        if (m.id != self_id && common::split_host_port(m.peer_address, host, port))
            tcp->set_peer(m.id, host, port, m.name);
    };

    ExecutorSetup& e = spec.executor;
    e.max_concurrent = cfg.max_concurrent;
    e.output_max = cfg.handlers.output_max_bytes;
    e.http_hosts = cfg.handlers.http_hosts;
    e.https_ca = cfg.handlers.https_ca;
    e.env = cfg.handlers.env;
    e.run_as = run_as;
    e.sandbox = sandbox;
    std::istringstream words(cfg.handlers.shell);
    for (std::string w; words >> w;) e.shell.push_back(w);

    const schedule::ZoneLoader zones = [](const std::string& name, std::string& error) {
        return schedule::load_time_zone(name, error);
    };
    spec.scheduler.zones = zones;

    GatewaySetup& g = spec.gateway;
    g.api.auth_token = cfg.auth_token;
    g.api.read_token = cfg.auth_read_token;
    g.api.allow_shell = cfg.handlers.allow_shell;
    g.api.http_hosts = cfg.handlers.http_hosts;
    g.api.allowed_programs = cfg.handlers.allowed_programs;
    g.api.shell_program = e.shell.empty() ? std::string() : e.shell.front();
    g.api.zones = zones;
    g.cache = std::make_shared<http::OperationCache>(cfg.cache_max_size);
    g.directory = directory;
    g.data_dir = cfg.data_dir;
    g.storage_map_bytes->store(cfg.storage_map_bytes);
    g.transport_figures = [tcp, directory] {
        std::vector<metrics::TransportPeer> out;
        for (const auto& [id, ps] : tcp->peer_stats())
            out.push_back({directory->get(id).name, ps.bytes_out, ps.bytes_in, ps.frames_out, ps.frames_in,
                           ps.frames_dropped, ps.connects});
        return out;
    };
    g.transport_refused = [tcp] { return tcp->stats().rejected_connections; };

    SupervisorSetup& sv = spec.supervisor;
    sv.data_dir = cfg.data_dir;
    sv.check_interval_ms = cfg.health_check_interval_ms;
    sv.peers = [tcp] {
        std::size_t connected = 0, total = 0;
        for (const auto& [id, ps] : tcp->peer_stats()) {
            ++total;
            if (ps.protocol != 0) ++connected;
        }
        return std::make_pair(connected, total);
    };
    return spec;
}

// GET /admin/backup: the store archived to a file in the data dir, answered, removed.
std::function<http::Response()> backup_of(std::shared_ptr<storage::LogStore> store, std::string dir,
                                          std::string cluster, std::string name) {
    return [store, dir, cluster, name] {
        const auto now = std::chrono::system_clock::now().time_since_epoch();
        const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
        const std::string path = dir + "/backup-" + std::to_string(now_ms) + ".tar";
        backup::Manifest m;
        const std::string error = backup::backup_store(*store, {cluster, name, now_ms}, dir, path, m);
        http::Response r;
        if (error.empty()) {
            std::ifstream in(path, std::ios::binary);
            r.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
            if (!in.good() && !in.eof())
                r = http::error_response(500, "backup_failed", "backup failed", "reading " + path);
        }
        std::error_code ec;
        std::filesystem::remove(path, ec);
        if (!error.empty()) {
            logging::warn("backup_failed", {{"error", error}});
            const bool full =
                error.find("No space") != std::string::npos || error.find("MAP_FULL") != std::string::npos;
            return http::error_response(full ? 507 : 500, "backup_failed", "backup failed", error);
        }
        logging::info("backup_taken", {{"index", std::to_string(m.snapshot_index)},
                                       {"bytes", std::to_string(r.body.size())},
                                       {"operations", std::to_string(m.operation_count)},
                                       {"receipts", std::to_string(m.receipt_count)}});
        r.content_type = "application/x-tar";
        r.headers = {{"Content-Disposition",
                      "attachment; filename=\"raftor-" + cluster + "-" + std::to_string(m.snapshot_index) + ".tar\""},
                     {"X-Raftor-Backup-Index", std::to_string(m.snapshot_index)},
                     {"X-Raftor-Backup-Sha256", m.data_sha256}};
        return r;
    };
}

int fail_start(const std::string& what) {
    logging::error("start_failed", {{"error", what}});
    return 1;
}

// glibc raises its mmap threshold to the largest block freed (up to 32 MiB), and its
// trim threshold to twice that: after the first multi-megabyte snapshot, every freed
// buffer stayed in the process. Measured through a partition and heal under full load
// (bench/partition_memory.sh): heap in use 44-57 MB, RSS 150-168 MB; with both pinned,
// RSS 82-118 MB at the same writes/s and CPU per write. MALLOC_MMAP_THRESHOLD_ and
// MALLOC_TRIM_THRESHOLD_ in the environment still win.
void pin_malloc_thresholds() {
    if (!std::getenv("MALLOC_MMAP_THRESHOLD_")) ::mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    if (!std::getenv("MALLOC_TRIM_THRESHOLD_")) ::mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
}

// Where the node listens, and where members and clients reach it.
struct Addresses {
    std::string http_host, peer_host, https_host, advertised_http, advertised_https;
    std::uint16_t http_port = 0, peer_port = 0, https_port = 0;
};

std::string addresses_of(const config::NodeConfig& cfg, const Membership& members, Addresses& a) {
    if (!common::split_host_port(cfg.listen.http, a.http_host, a.http_port))
        return "listen.http: '" + cfg.listen.http + "' is not host:port";
    if (!common::split_host_port(cfg.listen.peer, a.peer_host, a.peer_port))
        return "listen.peer: '" + cfg.listen.peer + "' is not host:port";
    // Peers dial the address the member list gives; listen on that port.
    a.peer_port = members.self.port;
    a.advertised_http = (wildcard(a.http_host) ? members.self.host : a.http_host) + ":" + std::to_string(a.http_port);
    // With TLS: HTTPS beside HTTP, and the address other members forward requests to.
    if (cfg.tls.enabled()) {
        const std::string https = cfg.listen.https.empty() ? "0.0.0.0:8443" : cfg.listen.https;
        if (!common::split_host_port(https, a.https_host, a.https_port))
            return "listen.https: '" + https + "' is not host:port";
        a.advertised_https =
            (wildcard(a.https_host) ? members.self.host : a.https_host) + ":" + std::to_string(a.https_port);
    }
    return {};
}

// How handlers run: as whom, in a PID namespace each where this node can make one, in
// a scratch directory each (under `scratch`, which must outlive every handler), with
// only the allowed programs.
std::string handlers_of(const config::NodeConfig& cfg, const std::string& name, exec::ScratchRoot& scratch,
                        std::optional<exec::RunAs>& run_as, exec::Sandbox& sandbox) {
    std::string error;
    run_as = exec::resolve_run_as(cfg.handlers.user, error);
    if (!error.empty()) return "handlers.user: " + error;
    sandbox.allowed_programs = cfg.handlers.allowed_programs;
    std::string contain_why;
    sandbox.contain = exec::probe_containment(contain_why);
    if (sandbox.contain.empty())
        logging::warn("handlers_uncontained",
                      {{"detail", contain_why + ": a handler that leaves its process group (setsid) may outlive "
                                                "its timeout"}});
    const char* tmp = std::getenv("TMPDIR");
    if (auto e = scratch.open(cfg.handlers.work_dir, tmp && *tmp ? tmp : "/tmp", name); !e.empty())
        return "handlers.workDir: " + e;
    sandbox.scratch_root = scratch.path();
    return {};
}

// The node's storage, opened and read back, and its signing key.
struct Opened {
    std::shared_ptr<storage::LogStore> store;
    OpenedState state;  // the replicated state's tables
    std::shared_ptr<const crypto::SigningKey> key;
    storage::Loaded loaded;
};

std::string open_storage(const config::NodeConfig& cfg, Opened& o) {
    std::error_code fs_error;
    std::filesystem::create_directories(cfg.data_dir, fs_error);
    if (fs_error) return "dataDir '" + cfg.data_dir + "': " + fs_error.message();
    // The node's data (its keys, its log, every operation's definition) is its own.
    if (::chmod(cfg.data_dir.c_str(), 0700) != 0)
        return "dataDir '" + cfg.data_dir + "': chmod 700: " + std::strerror(errno);
    storage::Status st;
    o.store.reset(
        storage::LogStore::open(
            {cfg.data_dir, static_cast<std::size_t>(cfg.storage_map_bytes), true, cfg.storage_wal_segment_bytes}, st)
            .release());
    if (!o.store) return "opening storage in '" + cfg.data_dir + "': " + st.message;
    if (!o.store->repaired().empty())
        logging::warn("storage_repaired", {{"dir", cfg.data_dir}, {"what", o.store->repaired()}});
    std::string key_error;
    auto signing_key = crypto::load_or_create_key(cfg.data_dir + "/node.key", key_error);
    if (!signing_key) return "node key: " + key_error;
    o.key = std::make_shared<const crypto::SigningKey>(std::move(*signing_key));
    st = o.store->load(o.loaded, cfg.raft.log_cache_bytes);
    if (!st.ok()) return "reading storage in '" + cfg.data_dir + "': " + st.message;
    logging::info("storage_opened", {{"dir", cfg.data_dir},
                                     {"term", std::to_string(o.loaded.hard_state.term)},
                                     {"commit", std::to_string(o.loaded.hard_state.commit)},
                                     {"snapshot_index", std::to_string(o.loaded.snapshot.index)},
                                     {"entries", std::to_string(o.loaded.entries.size())}});
    // The state's tables: opened as they stand when they can be trusted, else rebuilt
    // from the snapshot and the log (state_store_open.hpp).
    const raft::Index last = o.loaded.entries.empty() ? o.loaded.snapshot.index : o.loaded.entries.back().index;
    if (auto e = open_state_store(cfg.data_dir, o.loaded.snapshot.index, last, o.state); !e.empty()) return e;
    return {};
}

std::shared_ptr<Directory> directory_of(const Membership& members, const Addresses& a) {
    auto directory = std::make_shared<Directory>();
    for (const auto& x : members.all)
        directory->add(x.raft_id, x.raft_id == members.self.raft_id
                                      ? Directory::Entry{x.name, x.host + ":" + std::to_string(x.port),
                                                         a.advertised_http, a.advertised_https}
                                      : Directory::Entry{x.name, x.host + ":" + std::to_string(x.port)});
    return directory;
}

// The peer network: TCP with the cluster's secret and TLS, dialling every member.
std::string start_tcp(const config::NodeConfig& cfg, const Membership& members, const Addresses& a,
                      const std::shared_ptr<Directory>& directory, const std::shared_ptr<InboundTarget>& target,
                      net::TcpOptions& topts, net::EventLoop& loop, std::shared_ptr<net::TcpTransport>& tcp) {
    topts.cluster_id = cfg.cluster_id;
    topts.node_id = members.self.raft_id;
    topts.http_address = a.advertised_http;
    topts.https_address = a.advertised_https;
    topts.listen_host = a.peer_host;
    topts.listen_port = a.peer_port;
    topts.tls_ca_file = cfg.tls.ca_file;
    topts.tls_cert_file = cfg.tls.cert_file;
    topts.tls_key_file = cfg.tls.key_file;
    if (!cfg.peer_secret_file.empty()) {
        std::string why;
        auto secret = net::load_cluster_secret(cfg.peer_secret_file, why);
        if (!secret) return "peer.secretFile: " + why;
        topts.cluster_secrets = std::move(*secret);
    } else if (!cfg.peer_secret.empty()) {
        topts.cluster_secrets = {cfg.peer_secret};
    }
    tcp = std::make_shared<net::TcpTransport>(
        topts, [target](std::uint64_t from, std::string f) { target->deliver(from, std::move(f)); },
        [](const std::string& line) {
            logging::warn("transport", {{"detail", line}});
        },
        &loop);
    directory->forward_over_tls(cfg.tls.enabled());
    tcp->on_hello(
        [directory](std::uint64_t id, const std::string& http, const std::string& https, std::uint32_t protocol) {
            directory->set_http(id, http, https);
            directory->set_protocol(id, protocol);
        });
    if (auto e = tcp->bind(); !e.empty()) return e;
    for (const auto& x : members.all)
        if (x.raft_id != members.self.raft_id) tcp->set_peer(x.raft_id, x.host, x.port, x.name);
    return {};
}

http::ServerOptions server_options(const config::NodeConfig& cfg, const Addresses& a) {
    http::ServerOptions hopts;
    hopts.host = a.http_host;
    hopts.port = a.http_port;
    hopts.body_bytes_max = cfg.max_body_bytes;
    hopts.connections_max = cfg.listen.http_connections_max;
    hopts.connections_per_client_max = cfg.listen.http_connections_per_client_max;
    hopts.self_address = a.advertised_http;
    if (cfg.tls.enabled()) {
        hopts.tls_cert_file = cfg.tls.cert_file;
        hopts.tls_key_file = cfg.tls.key_file;
        hopts.tls_ca_file = cfg.tls.ca_file;
        hopts.tls_request_cert = cfg.tls.request_cert;
        hopts.tls_reject_unauthorized = cfg.tls.reject_unauthorized;
        hopts.tls_host = a.https_host;
        hopts.tls_port = a.https_port;
    }
    return hopts;
}

// The HTTP server's way in: counted, rate-limited per client, then handed to the gateway
// (or, while the node starts, answered here: only the probes).
http::HttpServer::Handler http_entry(const config::NodeConfig& cfg, const std::shared_ptr<GatewayHandle>& gateway,
                                     const metrics::CountersPtr& counters, const std::string& node_name,
                                     const std::shared_ptr<Directory>& directory) {
    const auto& rl = cfg.rate_limit;
    auto limiter = std::make_shared<http::RateLimiter>(http::RateLimits{
        {double(rl.open_per_second), double(rl.open_burst)},
        {double(rl.read_per_second), double(rl.read_burst)},
        {double(rl.write_per_second), double(rl.write_burst)},
        rl.exempt_loopback,
    });
    return [gateway, counters, name = node_name, directory, limiter](std::shared_ptr<http::Request> shared,
                                                                     http::HttpServer::Reply answer) {
        http::Request& req = *shared;
        // Every answer is counted by route pattern, method and status, with its latency.
        req.received_ns =
            std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
                .count();
        http::HttpServer::Reply reply = answer;
        if constexpr (metrics::enabled)
            reply = [answer, counters, route = http::route_pattern(req.target), method = req.method,
                     began = std::chrono::steady_clock::now()](http::Response r) {
                const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
                counters->http.record(route, method, r.proxy_to.empty() ? r.status : metrics::HttpFigures::forwarded,
                                      s);
                answer(std::move(r));
            };
        // Over its budget, a client is answered here (429), before any actor sees the
        // request; what another member forwards was counted there. Only a member may
        // say whom it forwards for.
        const bool from_member =
            req.header(http::forwarded_header) && directory->member_host(http::client_address(req.remote));
        if (!from_member) req.headers.erase(http::client_address_header);
        if (!from_member)
            if (auto refused = limiter->check(req, std::chrono::duration_cast<std::chrono::milliseconds>(
                                                       std::chrono::steady_clock::now().time_since_epoch())
                                                       .count()))
                return reply(std::move(*refused));
        caf::actor g = gateway->get();
        if (!g) {
            // Starting: only the probes answer.
            http::NodeView v;
            v.node = name;
            const auto routed = http::route(req, {});
            if (routed.call)
                if (auto* h = std::get_if<http::HealthCall>(&*routed.call)) return reply(http::health(h->probe, v));
            return reply(http::unavailable("starting", "node starting", "the node is still opening its storage"));
        }
        caf::anon_send(g, http_atom::value, RequestPtr(std::move(shared)),
                       ReplyPtr(std::make_shared<std::function<void(http::Response)>>(std::move(reply))));
    };
}

// Signals are taken by sigwait; every thread started after this inherits the mask.
sigset_t block_stop_signals() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    return signals;
}

void log_started(const config::NodeConfig& cfg, const Membership& members, const Addresses& a,
                 const net::TcpTransport& tcp, const net::TcpOptions& topts, const http::HttpServer& server,
                 const http::ServerOptions& hopts) {
    logging::info(
        "node_started",
        {{"id", std::to_string(members.self.raft_id)},
         {"http", a.advertised_http},
         {"peer", a.peer_host + ":" + std::to_string(tcp.bound_port())},
         {"https", server.bound_tls_port() ? hopts.tls_host + ":" + std::to_string(server.bound_tls_port()) : "off"},
         {"members", std::to_string(members.all.size())},
         {"peer_auth", cfg.tls.enabled() && topts.secret() ? "mutual TLS and cluster secret"
                       : cfg.tls.enabled()                 ? "mutual TLS"
                       : topts.secret()                    ? "cluster secret"
                                                           : "none (loopback only)"},
         {"http_auth", !cfg.auth_read_token.empty() ? "admin and read tokens"
                       : !cfg.auth_token.empty()    ? "admin token"
                                                    : "protected mode (loopback clients only)"},
         {"data_dir", cfg.data_dir}});
    // Listening beyond loopback with no token is allowed, but the network gets nothing
    // but probes and metrics: say so, once, where an operator looks first.
    if (cfg.auth_token.empty() && !config::loopback_host(a.http_host))
        logging::warn("protected_mode", {{"http", a.advertised_http},
                                         {"detail",
                                          "no auth.token: only clients on this host may read data or change state; set "
                                          "auth.token (and auth.readToken) to serve the network"}});
}

}  // namespace

int run_node(const config::NodeConfig& cfg) {
    pin_malloc_thresholds();
    const Membership members = membership_of(cfg);
    logging::init(cfg.log_level, cfg.log_json, members.self.name);
    sigset_t signals = block_stop_signals();
    Addresses addrs;
    if (auto e = addresses_of(cfg, members, addrs); !e.empty()) return fail_start(e);
    std::optional<exec::RunAs> run_as;
    exec::Sandbox sandbox;
    exec::ScratchRoot scratch;  // outlives every handler: declared before the actors
    if (auto e = handlers_of(cfg, members.self.name, scratch, run_as, sandbox); !e.empty()) return fail_start(e);

    // ---- storage: open and replay before anything else answers for this node
    Opened opened;
    if (auto e = open_storage(cfg, opened); !e.empty()) return fail_start(e);
    auto directory = directory_of(members, addrs);

    // ---- the peer network, then HTTP (which answers the probes before the actors are up),
    // both on the node's event loop, which the actors share (loop_coordinator.hpp). The
    // loop is declared before everything that runs on it, so it is destroyed after them.
    net::EventLoop loop;
    auto target = std::make_shared<InboundTarget>();
    net::TcpOptions topts;
    std::shared_ptr<net::TcpTransport> tcp;
    if (auto e = start_tcp(cfg, members, addrs, directory, target, topts, loop, tcp); !e.empty()) return fail_start(e);
    auto counters = std::make_shared<metrics::NodeCounters>();
    auto gateway = std::make_shared<GatewayHandle>();
    const http::ServerOptions hopts = server_options(cfg, addrs);
    http::HttpServer server(
        hopts, http_entry(cfg, gateway, counters, members.self.name, directory),
        [](const std::string& line) {
            logging::warn("http", {{"detail", line}});
        },
        loop);
    if (auto e = server.bind(); !e.empty()) return fail_start(e);
    server.start();
    loop.start("raftor-loop");
    // On every way out from here the loop stops after the actor system (declared below,
    // so destroyed first, its actors run on the loop to the end) and before the server
    // and the transport (declared above, so destroyed after): nothing of theirs runs
    // on the loop once they are gone.
    struct StopLoop {
        net::EventLoop& loop;
        ~StopLoop() { loop.stop(timeouts::loop_drain); }
    } stop_loop{loop};

    // ---- actors (node_assembly.hpp)
    caf::actor_system_config caf_cfg;
    run_actors_on(caf_cfg, loop);
    caf::actor_system sys{caf_cfg};
    auto transport = caf::actor_cast<caf::actor>(sys.spawn(transport_actor, tcp, target));
    NodeSpec spec = node_spec(cfg, members, std::move(opened.loaded), counters, directory, tcp, run_as, sandbox);
    spec.signer.key = opened.key;
    spec.peer.resume_state = opened.state.resume;
    spec.peer.restore.applied = opened.state.applied;
    spec.peer.options.boot_id = opened.state.boot_id;
    spec.gateway.backup = backup_of(opened.store, cfg.data_dir, cfg.cluster_id, members.self.name);
    NodeEnvironment env;
    env.seed = members.self.raft_id ^ static_cast<std::uint64_t>(::getpid()) ^
               static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    env.store = opened.store;
    env.state_store = opened.state.store;
    env.transport = transport;
    env.send_frames = [tcp](std::vector<std::pair<raft::NodeId, std::string>>&& frames) {
        tcp->send(std::move(frames));
    };
    env.gateway = gateway;
    // POST /shutdown: the same graceful stop as SIGTERM (the Kubernetes preStop hook uses it).
    env.request_stop = [] { ::kill(::getpid(), SIGTERM); };
    env.stop_node = [](const std::string&) {
        g_failed.store(1);
        ::kill(::getpid(), SIGUSR1);  // process-directed: sigwait below takes it
    };
    NodeActors node;
    try {
        node = assemble_node(sys, std::move(spec), std::move(env));
    } catch (const std::exception& e) {
        server.shutdown(std::chrono::milliseconds::zero());  // nothing was accepted yet
        caf::anon_send_exit(transport, caf::exit_reason::user_shutdown);
        return fail_start(std::string("restoring state: ") + e.what());
    }
    caf::anon_send(transport, register_atom::value, members.self.raft_id, node.peer);
    log_started(cfg, members, addrs, *tcp, topts, server, hopts);

    int sig = 0;
    sigwait(&signals, &sig);
    const bool failed = g_failed.load() != 0;
    logging::info("node_stopping", {{"signal", sig == SIGUSR1 ? "internal failure" : strsignal(sig)}});

    // ---- graceful stop: hand leadership over, no new requests, answer those in
    // flight, flush, leave
    caf::anon_send_exit(node.supervisor, caf::exit_reason::user_shutdown);
    if (!failed) hand_over(sys, node.peer, *directory, std::chrono::milliseconds(cfg.raft.election_timeout_ms));
    server.shutdown(timeouts::http_drain);
    if (!failed) flush_storage(sys, node.peer);
    for (const auto& a : node.followers()) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    for (const auto& a : {node.peer, transport, node.introspector})
        caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    tcp->stop();
    sys.await_all_actors_done();
    // A store that failed is not vouched for: the next start rebuilds it.
    if (!failed) close_state_store(cfg.data_dir, opened.state);
    loop.stop(timeouts::loop_drain);  // before the last line (stop_loop would, after it)
    logging::info("node_stopped", {{"clean", failed ? "false" : "true"}});
    return failed ? 2 : 0;
}

}  // namespace raftor::actors
