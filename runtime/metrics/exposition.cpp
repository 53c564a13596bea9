#include "runtime/metrics/exposition.hpp"

#include <prometheus/text_serializer.h>

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
    return {
        {"node", in.node},
        {"totalOperations", ops.finished()},
        {"successRate", ops.success_rate()},
        {"avgDuration", ops.average_ms()},
        {"p95Duration", ops.quantile_ms(0.95)},
        {"p99Duration", ops.quantile_ms(0.99)},
        {"activeCount", in.queued + in.running + in.retrying},
        {"errorCount", ops.errors()},
        {"cacheSize", in.cache.size},
        {"cacheHits", in.cache.hits},
        {"cacheMisses", in.cache.misses},
        {"cacheHitRate", lookups == 0 ? 0.0 : d(in.cache.hits) / d(lookups)},
        {"clusterHealth",
         {{"replicationLag", in.raft.replication_lag_ms},
          {"failoverCount", in.raft.leader_changes},
          {"uptime", in.uptime_seconds},
          {"role", in.raft.role},
          {"term", in.raft.term},
          {"commitIndex", in.raft.commit_index}}},
    };
}

}  // namespace raftor::metrics
