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

#include "actors/executor.hpp"
#include "actors/http_gateway.hpp"
#include "actors/introspector.hpp"
#include "actors/raft_peer.hpp"
#include "actors/receipt_signer.hpp"
#include "actors/scheduler.hpp"
#include "actors/supervisor.hpp"
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
#include "runtime/net/peer_auth.hpp"
#include "runtime/node/timing.hpp"
#include "runtime/schedule/tz_file.hpp"
#include "runtime/storage/log_store.hpp"

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

}  // namespace

int run_node(const config::NodeConfig& cfg) {
    pin_malloc_thresholds();
    const Membership members = membership_of(cfg);
    logging::init(cfg.log_level, cfg.log_json, members.self.name);

    // Signals are taken by sigwait below; every thread started from here inherits the mask.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    std::string http_host, peer_host;
    std::uint16_t http_port = 0, peer_port = 0;
    if (!common::split_host_port(cfg.listen.http, http_host, http_port))
        return fail_start("listen.http: '" + cfg.listen.http + "' is not host:port");
    if (!common::split_host_port(cfg.listen.peer, peer_host, peer_port))
        return fail_start("listen.peer: '" + cfg.listen.peer + "' is not host:port");
    std::string run_as_error;
    const auto run_as = exec::resolve_run_as(cfg.handlers.user, run_as_error);
    if (!run_as_error.empty()) return fail_start("handlers.user: " + run_as_error);
    // Handlers: a PID namespace each where this node can make one, a scratch directory
    // each, only the allowed programs.
    exec::Sandbox sandbox;
    sandbox.allowed_programs = cfg.handlers.allowed_programs;
    std::string contain_why;
    sandbox.contain = exec::probe_containment(contain_why);
    if (sandbox.contain.empty())
        logging::warn("handlers_uncontained",
                      {{"detail", contain_why + ": a handler that leaves its process group (setsid) may outlive "
                                                "its timeout"}});
    exec::ScratchRoot scratch;  // outlives every handler: declared before the actors
    {
        const char* tmp = std::getenv("TMPDIR");
        if (auto e = scratch.open(cfg.handlers.work_dir, tmp && *tmp ? tmp : "/tmp", members.self.name); !e.empty())
            return fail_start("handlers.workDir: " + e);
        sandbox.scratch_root = scratch.path();
    }
    // Peers dial the address the member list gives; listen on that port.
    peer_port = members.self.port;
    const std::string advertised_http =
        (wildcard(http_host) ? members.self.host : http_host) + ":" + std::to_string(http_port);
    // With TLS: HTTPS beside HTTP, and the address other members forward requests to.
    std::string https_host, advertised_https;
    std::uint16_t https_port = 0;
    if (cfg.tls.enabled()) {
        const std::string https = cfg.listen.https.empty() ? "0.0.0.0:8443" : cfg.listen.https;
        if (!common::split_host_port(https, https_host, https_port))
            return fail_start("listen.https: '" + https + "' is not host:port");
        advertised_https = (wildcard(https_host) ? members.self.host : https_host) + ":" + std::to_string(https_port);
    }

    // ---- storage: open and replay before anything else answers for this node
    std::error_code fs_error;
    std::filesystem::create_directories(cfg.data_dir, fs_error);
    if (fs_error) return fail_start("dataDir '" + cfg.data_dir + "': " + fs_error.message());
    // The node's data (its keys, its log, every operation's definition) is its own.
    if (::chmod(cfg.data_dir.c_str(), 0700) != 0)
        return fail_start("dataDir '" + cfg.data_dir + "': chmod 700: " + std::strerror(errno));
    storage::Status st;
    std::shared_ptr<storage::LogStore> store(storage::LogStore::open(
        {cfg.data_dir, static_cast<std::size_t>(cfg.storage_map_bytes), true, cfg.storage_wal_segment_bytes}, st));
    if (!store) return fail_start("opening storage in '" + cfg.data_dir + "': " + st.message);
    if (!store->repaired().empty())
        logging::warn("storage_repaired", {{"dir", cfg.data_dir}, {"what", store->repaired()}});
    std::string key_error;
    auto signing_key = crypto::load_or_create_key(cfg.data_dir + "/node.key", key_error);
    if (!signing_key) return fail_start("node key: " + key_error);
    auto key = std::make_shared<const crypto::SigningKey>(std::move(*signing_key));
    storage::Loaded loaded;
    st = store->load(loaded, cfg.raft.log_cache_bytes);
    if (!st.ok()) return fail_start("reading storage in '" + cfg.data_dir + "': " + st.message);
    logging::info("storage_opened", {{"dir", cfg.data_dir},
                                     {"term", std::to_string(loaded.hard_state.term)},
                                     {"commit", std::to_string(loaded.hard_state.commit)},
                                     {"snapshot_index", std::to_string(loaded.snapshot.index)},
                                     {"entries", std::to_string(loaded.entries.size())}});

    auto directory = std::make_shared<Directory>();
    for (const auto& x : members.all)
        directory->add(x.raft_id, x.raft_id == members.self.raft_id
                                      ? Directory::Entry{x.name, x.host + ":" + std::to_string(x.port), advertised_http,
                                                         advertised_https}
                                      : Directory::Entry{x.name, x.host + ":" + std::to_string(x.port)});

    // ---- peer transport
    auto target = std::make_shared<InboundTarget>();
    net::TcpOptions topts;
    topts.cluster_id = cfg.cluster_id;
    topts.node_id = members.self.raft_id;
    topts.http_address = advertised_http;
    topts.https_address = advertised_https;
    topts.listen_host = peer_host;
    topts.listen_port = peer_port;
    topts.tls_ca_file = cfg.tls.ca_file;
    topts.tls_cert_file = cfg.tls.cert_file;
    topts.tls_key_file = cfg.tls.key_file;
    if (!cfg.peer_secret_file.empty()) {
        std::string why;
        auto secret = net::load_cluster_secret(cfg.peer_secret_file, why);
        if (!secret) return fail_start("peer.secretFile: " + why);
        topts.cluster_secrets = std::move(*secret);
    } else if (!cfg.peer_secret.empty()) {
        topts.cluster_secrets = {cfg.peer_secret};
    }
    auto tcp = std::make_shared<net::TcpTransport>(
        topts, [target](std::uint64_t from, std::string f) { target->deliver(from, std::move(f)); },
        [](const std::string& line) {
            logging::warn("transport", {{"detail", line}});
        });
    directory->forward_over_tls(cfg.tls.enabled());
    tcp->on_hello(
        [directory](std::uint64_t id, const std::string& http, const std::string& https, std::uint32_t protocol) {
            directory->set_http(id, http, https);
            directory->set_protocol(id, protocol);
        });
    if (auto e = tcp->bind(); !e.empty()) return fail_start(e);
    for (const auto& x : members.all)
        if (x.raft_id != members.self.raft_id) tcp->set_peer(x.raft_id, x.host, x.port, x.name);

    // ---- HTTP server (answers liveness even before the actors are up)
    auto counters = std::make_shared<metrics::NodeCounters>();
    auto gateway = std::make_shared<GatewayHandle>();
    http::ServerOptions hopts;
    hopts.host = http_host;
    hopts.port = http_port;
    hopts.body_bytes_max = cfg.max_body_bytes;
    hopts.connections_max = cfg.listen.http_connections_max;
    hopts.connections_per_client_max = cfg.listen.http_connections_per_client_max;
    hopts.self_address = advertised_http;
    if (cfg.tls.enabled()) {
        hopts.tls_cert_file = cfg.tls.cert_file;
        hopts.tls_key_file = cfg.tls.key_file;
        hopts.tls_ca_file = cfg.tls.ca_file;
        hopts.tls_request_cert = cfg.tls.request_cert;
        hopts.tls_reject_unauthorized = cfg.tls.reject_unauthorized;
        hopts.tls_host = https_host;
        hopts.tls_port = https_port;
    }
    const auto& rl = cfg.rate_limit;
    auto limiter = std::make_shared<http::RateLimiter>(http::RateLimits{
        {double(rl.open_per_second), double(rl.open_burst)},
        {double(rl.read_per_second), double(rl.read_burst)},
        {double(rl.write_per_second), double(rl.write_burst)},
        rl.exempt_loopback,
    });
    http::HttpServer server(
        hopts,
        [gateway, counters, name = members.self.name, directory, limiter](http::Request req,
                                                                          http::HttpServer::Reply answer) {
            // Every answer is counted by route pattern, method and status, with its latency.
            req.received_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::steady_clock::now().time_since_epoch())
                                  .count();
            http::HttpServer::Reply reply = answer;
            if constexpr (metrics::enabled)
                reply = [answer, counters, route = http::route_pattern(req.target), method = req.method,
                         began = std::chrono::steady_clock::now()](http::Response r) {
                    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
                    counters->http.record(route, method,
                                          r.proxy_to.empty() ? r.status : metrics::HttpFigures::forwarded, s);
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
            caf::anon_send(g, http_atom::value, RequestPtr(std::make_shared<http::Request>(std::move(req))),
                           ReplyPtr(std::make_shared<std::function<void(http::Response)>>(std::move(reply))));
        },
        [](const std::string& line) {
            logging::warn("http", {{"detail", line}});
        });
    if (auto e = server.bind(); !e.empty()) return fail_start(e);
    server.start();

    // ---- actors
    caf::actor_system_config caf_cfg;
    // CAF's idle workers poll with 50 us sleeps for a while before they block; every
    // hop of a request (gateway, peer, storage, transport) would wait out such a sleep.
    // Spin briefly, then block on the condition variable an enqueue signals.
    caf_cfg.set("work-stealing.moderate-poll-attempts", 0);
    caf::actor_system sys{caf_cfg};
    auto intro = sys.spawn(introspector, std::chrono::milliseconds(1000));
    auto transport = sys.spawn(transport_actor, tcp, target);
    join(intro, "transport", "transport", transport);
    auto setup = std::make_shared<PeerSetup>();
    setup->config.id = members.self.raft_id;
    setup->config.seed = members.self.raft_id ^ static_cast<std::uint64_t>(::getpid()) ^
                         static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    const node::Timing timing = node::timing_of(cfg.raft.heartbeat_interval_ms, cfg.raft.election_timeout_ms);
    setup->config.heartbeat_ticks = timing.heartbeat_ticks;
    setup->config.election_ticks = timing.election_ticks;
    setup->config.uncommitted_bytes_max = cfg.raft.uncommitted_bytes_max;
    setup->config.inflight_bytes_max = cfg.raft.inflight_bytes_max;
    setup->config.log_cache_bytes_max = cfg.raft.log_cache_bytes;
    setup->min_voters = cfg.raft.min_cluster_size;
    setup->restore = storage::to_restore(std::move(loaded), initial_conf(members, cfg.raft.join));
    loaded = {};
    // A snapshot every snapshotIntervalOps applied entries, and the log never holds
    // more than maxLogSize of them: whichever comes first.
    setup->options.snapshot_interval_ops = std::min(cfg.raft.snapshot_interval_ops, cfg.raft.max_log_size);
    setup->options.ops.history_max = cfg.history_max;
    setup->options.ops.history_retention_ms = static_cast<std::int64_t>(cfg.history_retention_ms);
    setup->options.ops.receipts_retention_ms = static_cast<std::int64_t>(cfg.receipts_retention_ms);
    setup->options.ops.rollup_retention_ms =
        std::max(static_cast<std::int64_t>(cfg.metrics_retention_ms), state::OpsOptions::rollup_retention_min_ms);
    setup->store = store;
    setup->transport = transport;
    setup->send_frames = [tcp](std::vector<std::pair<raft::NodeId, std::string>>&& frames) {
        tcp->send(std::move(frames));
    };
    setup->tick = std::chrono::milliseconds(timing.tick_ms);
    setup->introspector = intro;
    setup->counters = counters;
    auto leader_elsewhere = std::make_shared<std::atomic<raft::NodeId>>(0);
    setup->leader_elsewhere = leader_elsewhere;
    for (const auto& x : members.all) setup->names[x.raft_id] = x.name;
    const raft::NodeId self_id = members.self.raft_id;
    setup->ids_implied = [directory](raft::NodeId id) {
        return directory->protocol(id) >= net::packed_protocol_version;
    };
    setup->on_member = [directory, tcp, self_id](const state::MemberInfo& m) {
        directory->learn(m.id, m.name, m.peer_address);
        std::string host;
        std::uint16_t port = 0;
        if (m.id != self_id && common::split_host_port(m.peer_address, host, port))
            tcp->set_peer(m.id, host, port, m.name);
    };
    caf::actor peer;
    try {
        peer = sys.spawn(raft_peer, PeerSetupPtr(setup));
    } catch (const std::exception& e) {
        server.shutdown(std::chrono::milliseconds(0));
        caf::anon_send_exit(transport, caf::exit_reason::user_shutdown);
        caf::anon_send_exit(intro, caf::exit_reason::user_shutdown);
        return fail_start(std::string("restoring state: ") + e.what());
    }
    caf::anon_send(transport, register_atom::value, members.self.raft_id, peer);
    join(intro, "raft_peer", "consensus", peer);

    // ---- the operations actors: they follow the state machine and act on the leader
    auto esetup = std::make_shared<ExecutorSetup>();
    esetup->peer = peer;
    esetup->node_name = members.self.name;
    esetup->max_concurrent = cfg.max_concurrent;
    esetup->output_max = cfg.handlers.output_max_bytes;
    esetup->http_hosts = cfg.handlers.http_hosts;
    esetup->https_ca = cfg.handlers.https_ca;
    esetup->env = cfg.handlers.env;
    esetup->run_as = run_as;
    esetup->sandbox = sandbox;
    {
        std::istringstream words(cfg.handlers.shell);
        for (std::string w; words >> w;) esetup->shell.push_back(w);
    }
    auto exec_actor = sys.spawn(executor, ExecutorSetupPtr(esetup));

    auto gsetup = std::make_shared<GatewaySetup>();
    gsetup->peer = peer;
    gsetup->executor = exec_actor;
    // POST /shutdown: the same graceful stop as SIGTERM (the Kubernetes preStop hook uses it).
    gsetup->request_stop = [] { ::kill(::getpid(), SIGTERM); };
    gsetup->introspector = intro;
    gsetup->node_name = members.self.name;
    gsetup->min_voters = cfg.raft.min_cluster_size;
    gsetup->api.auth_token = cfg.auth_token;
    gsetup->api.read_token = cfg.auth_read_token;
    gsetup->api.allow_shell = cfg.handlers.allow_shell;
    gsetup->api.http_hosts = cfg.handlers.http_hosts;
    gsetup->api.allowed_programs = cfg.handlers.allowed_programs;
    gsetup->api.shell_program = esetup->shell.empty() ? std::string() : esetup->shell.front();
    gsetup->cache = std::make_shared<http::OperationCache>(cfg.cache_max_size);
    const schedule::ZoneLoader zones = [](const std::string& name, std::string& error) {
        return schedule::load_time_zone(name, error);
    };
    gsetup->api.zones = zones;
    gsetup->directory = directory;
    gsetup->leader_elsewhere = leader_elsewhere;
    gsetup->counters = counters;
    gsetup->data_dir = cfg.data_dir;
    gsetup->storage_map_bytes->store(cfg.storage_map_bytes);
    gsetup->backup = [store, dir = cfg.data_dir, cluster = cfg.cluster_id, name = members.self.name] {
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
    gsetup->transport_figures = [tcp, directory] {
        std::vector<metrics::TransportPeer> out;
        for (const auto& [id, ps] : tcp->peer_stats())
            out.push_back({directory->get(id).name, ps.bytes_out, ps.bytes_in, ps.frames_out, ps.frames_in,
                           ps.frames_dropped, ps.connects});
        return out;
    };
    gsetup->transport_refused = [tcp] { return tcp->stats().rejected_connections; };
    auto board = std::make_shared<SelfCheckBoard>();
    gsetup->self_check = [board] { return board->get(); };
    auto spawn_gateway = [&sys, gsetup, intro, peer] {
        auto g = sys.spawn(http_gateway, GatewaySetupPtr(gsetup));
        join(intro, "http_gateway", "gateway", g);
        caf::anon_send(peer, subscribe_atom::value, g);  // ?wait=true hears of finished executions
        return g;
    };
    gateway->set(spawn_gateway());

    // ---- the scheduler and the signer follow the state machine and act on the leader
    auto sched_setup = std::make_shared<SchedulerSetup>();
    sched_setup->peer = peer;
    sched_setup->zones = zones;
    auto sched_actor = sys.spawn(scheduler, SchedulerSetupPtr(sched_setup));
    auto signer_setup = std::make_shared<SignerSetup>();
    signer_setup->peer = peer;
    signer_setup->node_name = members.self.name;
    signer_setup->key = key;
    auto signer_actor = sys.spawn(receipt_signer, SignerSetupPtr(signer_setup));
    for (const auto& [name, a] : {std::pair<const char*, caf::actor>{"executor", exec_actor},
                                  {"scheduler", sched_actor},
                                  {"receipt_signer", signer_actor}}) {
        join(intro, name, name, a);
        caf::anon_send(peer, subscribe_atom::value, a);
    }

    auto ssetup = std::make_shared<SupervisorSetup>();
    ssetup->data_dir = cfg.data_dir;
    ssetup->check_interval_ms = cfg.health_check_interval_ms;
    ssetup->peers = [tcp] {
        std::size_t connected = 0, total = 0;
        for (const auto& [id, ps] : tcp->peer_stats()) {
            ++total;
            if (ps.protocol != 0) ++connected;
        }
        return std::make_pair(connected, total);
    };
    ssetup->board = board;
    ssetup->counters = counters;
    ssetup->peer = peer;
    ssetup->transport = transport;
    ssetup->gateway = gateway;
    ssetup->spawn_gateway = spawn_gateway;
    ssetup->stop_node = [](const std::string&) {
        g_failed.store(1);
        ::kill(::getpid(), SIGUSR1);  // process-directed: sigwait below takes it
    };
    // Detached: the self-check's synced write must not hold a scheduler thread.
    auto sup = sys.spawn<caf::detached>(supervisor, SupervisorSetupPtr(ssetup));
    join(intro, "supervisor", "supervision", sup);

    logging::info(
        "node_started",
        {{"id", std::to_string(members.self.raft_id)},
         {"http", advertised_http},
         {"peer", peer_host + ":" + std::to_string(tcp->bound_port())},
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
    if (cfg.auth_token.empty() && !config::loopback_host(http_host))
        logging::warn("protected_mode", {{"http", advertised_http},
                                         {"detail",
                                          "no auth.token: only clients on this host may read data or change state; set "
                                          "auth.token (and auth.readToken) to serve the network"}});

    int sig = 0;
    sigwait(&signals, &sig);
    const bool failed = g_failed.load() != 0;
    logging::info("node_stopping", {{"signal", sig == SIGUSR1 ? "internal failure" : strsignal(sig)}});

    // ---- graceful stop: hand leadership over, no new requests, answer those in
    // flight, flush, leave
    caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
    if (!failed) {
        caf::scoped_actor self{sys};
        self->request(peer, std::chrono::milliseconds(cfg.raft.election_timeout_ms), step_down_atom::value)
            .receive(
                [](const std::string& to) {
                    if (to != "not leading") logging::info("stepped_down", {{"leader", to}});
                },
                [](caf::error& e) {
                    logging::warn("step_down_failed", {{"error", caf::to_string(e)}});
                });
    }
    server.shutdown(std::chrono::milliseconds(5000));
    if (!failed) {
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
    caf::anon_send_exit(gateway->get(), caf::exit_reason::user_shutdown);
    for (const auto& a : {exec_actor, sched_actor, signer_actor})
        caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(peer, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(transport, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(intro, caf::exit_reason::user_shutdown);
    tcp->stop();
    sys.await_all_actors_done();
    logging::info("node_stopped", {{"clean", failed ? "false" : "true"}});
    return failed ? 2 : 0;
}

}  // namespace raftor::actors
