#include "runtime/metrics/exposition.hpp"

#include <prometheus/text_serializer.h>

#include <cmath>

namespace raftor::metrics {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

struct Families {
    std::vector<MetricFamily> out;

    MetricFamily& family(const std::string& name, const std::string& help, MetricType type) {
        out.push_back(MetricFamily{name, help, type, {}});
        return out.back();
    }
    void gauge(const std::string& name, const std::string& help, double v, Labels labels = {}) {
        add(family(name, help, MetricType::Gauge), v, std::move(labels));
    }
    void counter(const std::string& name, const std::string& help, double v, Labels labels = {}) {
        add(family(name, help, MetricType::Counter), v, std::move(labels));
    }
    static void add(MetricFamily& f, double v, Labels labels = {}) {
        ClientMetric m;
        m.label = std::move(labels);
        if (f.type == MetricType::Counter)
            m.counter.value = v;
        else
            m.gauge.value = v;
        f.metric.push_back(std::move(m));
    }
};

double d(std::uint64_t v) {
    return static_cast<double>(v);
}

ClientMetric histogram_of(const HistogramFigures& h, Labels labels = {}) {
    ClientMetric m;
    m.label = std::move(labels);
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < h.bounds.size(); ++i) {
        cumulative += i < h.counts.size() ? h.counts[i] : 0;
        m.histogram.bucket.push_back({cumulative, h.bounds[i]});
    }
    m.histogram.bucket.push_back({h.count, std::numeric_limits<double>::infinity()});
    m.histogram.sample_count = h.count;
    m.histogram.sample_sum = h.sum;
    return m;
}

}  // namespace

std::vector<MetricFamily> families_of(const MetricsInput& in) {
    Families f;
    const auto& ops = in.ops;

    // ---- operations: the cluster's figures, the same on every node
    f.counter("daemon_operations_total", "Executions that reached a final status (the cluster's)", d(ops.finished()));
    f.counter("daemon_operations_failed_total", "Executions that failed, timed out or were interrupted (the cluster's)",
              d(ops.errors()));
    {
        auto& fam = f.family("daemon_operations_status_total", "Final executions by status (the cluster's)",
                             MetricType::Counter);
        for (auto s : {state::ExecStatus::success, state::ExecStatus::failed, state::ExecStatus::timeout,
                       state::ExecStatus::interrupted, state::ExecStatus::cancelled, state::ExecStatus::skipped})
            Families::add(fam, d(ops.of(s)), {{"status", state::to_string(s)}});
    }
    {
        auto& fam = f.family("daemon_operation_duration_ms", "Handler run time of final executions, milliseconds",
                             MetricType::Histogram);
        ClientMetric m;
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < state::OpsFigures::bounds.size(); ++i) {
            cumulative += ops.buckets[i];
            m.histogram.bucket.push_back({cumulative, d(state::OpsFigures::bounds[i])});
        }
        cumulative += ops.buckets.back();
        m.histogram.bucket.push_back({cumulative, std::numeric_limits<double>::infinity()});
        m.histogram.sample_count = ops.duration_count;
        m.histogram.sample_sum = d(ops.duration_sum_ms);
        fam.metric.push_back(std::move(m));
    }
    {
        auto& fam = f.family("daemon_operations_active", "Executions not yet final, by state", MetricType::Gauge);
        Families::add(fam, d(in.queued), {{"state", "queued"}});
        Families::add(fam, d(in.running), {{"state", "running"}});
        Families::add(fam, d(in.retrying), {{"state", "retrying"}});
    }
    f.gauge("daemon_operations_registered", "Operations in the registry", d(in.operations_registered));
    f.gauge("daemon_history_executions", "Final executions kept in the history", d(in.history_kept));
    f.gauge("daemon_cache_size", "Operations in this node's cache", d(in.cache.size));
    f.gauge("daemon_cache_capacity", "Operations this node's cache holds at most (cacheMaxSize)", d(in.cache.capacity));
    f.counter("daemon_cache_hits_total", "Operation reads served from this node's cache", d(in.cache.hits));
    f.counter("daemon_cache_misses_total", "Operation reads that rendered the operation", d(in.cache.misses));
    f.counter("daemon_cache_evictions_total", "Operations dropped from this node's cache", d(in.cache.evictions));
    f.gauge("daemon_uptime_seconds", "Seconds since this node started", in.uptime_seconds);

    // ---- Raft, as this node sees it
    f.gauge("daemon_raft_replication_lag_ms",
            "Leader: its slowest follower's lag; follower: time since it last heard the leader (ms)",
            d(in.raft.replication_lag_ms));
    f.gauge("raft_term", "Current term", d(in.raft.term));
    f.gauge("raft_commit_index", "Highest log index known committed", d(in.raft.commit_index));
    f.gauge("raft_applied_index", "Highest log index applied to the state machine", d(in.raft.applied_index));
    f.gauge("raft_last_index", "Last index in this node's log", d(in.raft.last_index));
    f.gauge("raft_is_leader", "1 on the leader, 0 elsewhere", in.raft.is_leader ? 1 : 0);
    f.gauge("raft_has_leader", "1 when this node knows a leader", in.raft.has_leader ? 1 : 0);
    f.counter("raft_leader_changes_total", "Leaders this node has seen since it started", d(in.raft.leader_changes));
    if (in.raft.is_leader) {
        auto& match = f.family("raft_follower_match_index", "Leader's view: highest index each follower holds",
                               MetricType::Gauge);
        auto& entries =
            f.family("raft_follower_lag_entries", "Leader's view: entries each follower is behind", MetricType::Gauge);
        auto& secs = f.family("raft_follower_lag_seconds", "Leader's view: how long each follower has been behind",
                              MetricType::Gauge);
        for (const auto& x : in.raft.followers) {
            Families::add(match, d(x.match_index), {{"member", x.member}});
            Families::add(entries, d(x.lag_entries), {{"member", x.member}});
            Families::add(secs, d(x.lag_ms) / 1000.0, {{"member", x.member}});
        }
    }

    // ---- this node's consensus and storage work
    const auto& live = in.live;
    f.counter("raft_proposals_total", "Entries this node accepted for its log as leader", d(live.proposals));
    f.counter("raft_proposals_refused_total", "Proposals refused (not the leader, or stepping down)",
              d(live.proposals_refused));
    f.counter("raft_elections_total", "Campaigns this node started (pre-vote or vote)", d(live.elections));
    f.counter("raft_snapshots_total", "Snapshots this node took of its state machine", d(live.snapshots));
    if (!live.append_batch.bounds.empty())
        f.family("raft_append_batch_size", "Entries per append message this node sent as leader", MetricType::Histogram)
            .metric.push_back(histogram_of(live.append_batch));
    if (!live.fsync_seconds.bounds.empty())
        f.family("raft_fsync_duration_seconds", "Time to make one group commit durable (write and fsync)",
                 MetricType::Histogram)
            .metric.push_back(histogram_of(live.fsync_seconds));
    if (!live.write_stages.empty()) {
        auto& stages = f.family("raftor_write_stage_seconds",
                                "Where a write's time goes on the leader that took it, by stage: gateway_queue "
                                "(request to proposal), propose_to_persisted (its fsync here), persisted_to_quorum "
                                "(a quorum's acknowledgement), commit_to_apply, apply_to_answer",
                                MetricType::Histogram);
        for (const auto& [stage, h] : live.write_stages) stages.metric.push_back(histogram_of(h, {{"stage", stage}}));
    }
    f.counter("raft_slow_fsyncs_total", "Group commits that took over 100 ms", d(live.slow_fsyncs));
    f.gauge("storage_full", "1 while this node's writes wait for room (LMDB map or disk full): it takes no writes",
            d(live.storage_full));
    f.counter("storage_full_errors_total", "Writes that failed for lack of room (retried, never lost)",
              d(live.storage_full_errors));
    f.gauge("state_store_full",
            "1 while applying committed entries waits for room in the state store (disk full): reads and writes "
            "wait, nothing is lost",
            d(live.state_store_full));
    {
        auto& ok = f.family("raftor_self_check_ok",
                            "1 when this node's last self-check passed: storage writable, a quorum of peers "
                            "connected, the wall clock not stepped (every healthCheckIntervalMs)",
                            MetricType::Gauge);
        const char* checks[] = {"storage", "peers", "clock"};
        for (std::size_t i = 0; i < 3; ++i) Families::add(ok, d(live.self_check_ok[i]), {{"check", checks[i]}});
    }
    f.counter("raftor_self_check_runs_total", "Self-checks this node ran", d(live.self_check_runs));
    f.gauge("storage_bytes", "Bytes of this node's data directory (LMDB map file and WAL segments)",
            d(in.disk.storage_bytes));
    f.gauge("storage_map_bytes", "LMDB map size (storageMapBytes): writes are refused beyond it",
            d(in.disk.storage_map_bytes));
    f.gauge("storage_filesystem_size_bytes", "Size of the file system holding the data directory",
            d(in.disk.filesystem_size_bytes));
    f.gauge("storage_filesystem_avail_bytes", "Bytes free to this process on that file system",
            d(in.disk.filesystem_avail_bytes));

    // ---- peer transport, per member
    {
        auto& bytes = f.family("transport_bytes_total", "Frame bytes to and from each peer", MetricType::Counter);
        auto& frames = f.family("transport_frames_total", "Frames to and from each peer", MetricType::Counter);
        auto& dropped = f.family("transport_frames_dropped_total",
                                 "Frames dropped because a peer's queue was full (Raft resends)", MetricType::Counter);
        auto& reconnects = f.family("transport_reconnects_total", "Connections to each peer made again after the first",
                                    MetricType::Counter);
        for (const auto& p : live.transport) {
            Families::add(bytes, d(p.bytes_out), {{"peer", p.member}, {"direction", "out"}});
            Families::add(bytes, d(p.bytes_in), {{"peer", p.member}, {"direction", "in"}});
            Families::add(frames, d(p.frames_out), {{"peer", p.member}, {"direction", "out"}});
            Families::add(frames, d(p.frames_in), {{"peer", p.member}, {"direction", "in"}});
            Families::add(dropped, d(p.frames_dropped), {{"peer", p.member}});
            Families::add(reconnects, d(p.connects > 0 ? p.connects - 1 : 0), {{"peer", p.member}});
        }
    }
    f.counter("transport_connections_refused_total", "Inbound peer connections refused (hello, TLS or framing)",
              d(live.transport_rejected));
    {
        auto& refused = f.family("raft_peer_frames_refused_total",
                                 "Peer frames dropped before the Raft core, by reason", MetricType::Counter);
        for (const auto& [reason, n] : live.frames_refused) Families::add(refused, d(n), {{"reason", reason}});
    }
    {
        auto& sent = f.family("raft_peer_bytes_sent_total",
                              "Encoded bytes of the Raft messages this node sent, by type", MetricType::Counter);
        for (const auto& [type, n] : live.bytes_sent) Families::add(sent, d(n), {{"type", type}});
    }

    // ---- HTTP, by route pattern
    {
        auto& reqs =
            f.family("http_requests_total", "HTTP requests answered, by route, method and status", MetricType::Counter);
        for (const auto& r : live.http_requests)
            Families::add(reqs, d(r.count), {{"route", r.route}, {"method", r.method}, {"status", r.status}});
        auto& lat = f.family("http_request_duration_seconds",
                             "Time from a request read to its answer written, by route", MetricType::Histogram);
        for (const auto& [route, h] : live.http_latency) lat.metric.push_back(histogram_of(h, {{"route", route}}));
    }

    // ---- actors
    {
        auto& depth = f.family("actor_mailbox_depth", "Messages waiting in each actor's mailbox", MetricType::Gauge);
        auto& handled = f.family("actor_messages_total", "Messages each actor has handled", MetricType::Counter);
        for (const auto& a : in.actors) {
            Families::add(depth, d(a.mailbox_depth), {{"actor", a.name}, {"kind", a.kind}});
            Families::add(handled, d(a.messages_handled), {{"actor", a.name}, {"kind", a.kind}});
        }
    }

    // ---- the process (the names node_exporter and client libraries use)
    f.gauge("process_resident_memory_bytes", "Resident memory size in bytes", d(in.process.rss_bytes));
    f.counter("process_cpu_seconds_total", "User and system CPU time spent in seconds", in.process.cpu_seconds);
    if (in.process.memory_limit_bytes > 0)
        f.gauge("process_memory_limit_bytes",
                "Memory this process may use: its cgroup's limit, or the machine's memory without one",
                d(in.process.memory_limit_bytes));
    f.gauge("process_open_fds", "Open file descriptors", d(in.process.open_fds));
    f.gauge("process_start_time_seconds", "Start time of the process since the epoch in seconds",
            in.process.start_time_seconds);
    f.gauge("raftor_node_info", "This node's name", 1, {{"node", in.node}});
    // Empty families say nothing and some tools object to them.
    std::erase_if(f.out, [](const MetricFamily& x) { return x.metric.empty(); });
    return std::move(f.out);
}

std::string render_text(const MetricsInput& in) {
    return prometheus::TextSerializer().Serialize(families_of(in));
}

nlohmann::json render_summary(const MetricsInput& in) {
    const auto& ops = in.ops;
    const std::uint64_t lookups = in.cache.hits + in.cache.misses;
    // As the runbook reads them: the success rate in percent (it compares with 98), the
    // uptime in hours (its monthly SLO divides by 730), durations and lag in ms.
    const double success_percent = std::round(ops.success_rate() * 10000) / 100;
    const double uptime_hours = in.led_hours;
    const std::uint64_t failovers = in.failovers;
    return {
        {"node", in.node},
        {"totalOperations", ops.finished()},
        {"successRate", success_percent},
        {"avgDuration", ops.average_ms()},
        {"p95Duration", ops.quantile_ms(0.95)},
        {"p99Duration", ops.quantile_ms(0.99)},
        {"activeCount", in.queued + in.running + in.retrying},
        {"errorCount", ops.errors()},
        {"replicationLag", in.raft.replication_lag_ms},
        {"failoverCount", failovers},
        {"uptime", uptime_hours},
        {"cacheSize", in.cache.size},
        {"cacheHits", in.cache.hits},
        {"cacheMisses", in.cache.misses},
        {"cacheHitRate", lookups == 0 ? 0.0 : d(in.cache.hits) / d(lookups)},
        // The runbook reads `.cache` too.
        {"cache",
         {{"size", in.cache.size},
          {"maxSize", in.cache.capacity},
          {"hits", in.cache.hits},
          {"misses", in.cache.misses},
          {"evictions", in.cache.evictions},
          {"hitRate", lookups == 0 ? 0.0 : d(in.cache.hits) / d(lookups)}}},
        {"clusterHealth",
         {{"replicationLag", in.raft.replication_lag_ms},
          {"failoverCount", failovers},
          {"uptime", uptime_hours},
          {"role", in.raft.role},
          {"term", in.raft.term},
          {"commitIndex", in.raft.commit_index}}},
    };
}

}  // namespace raftor::metrics
