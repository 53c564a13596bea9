#pragma once
// Everything one scrape reports, gathered by the gateway from the node's actors and
// state at scrape time. Plain data: the exposition renders it as Prometheus text and as
// the runbook's JSON summary.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "runtime/metrics/live_counters.hpp"
#include "runtime/state/ops_figures.hpp"

namespace raftor::metrics {

struct FollowerLag {
    std::string member;
    std::uint64_t match_index = 0;
    std::uint64_t lag_entries = 0;
    std::uint64_t lag_ms = 0;
};

struct RaftFigures {
    std::string role;  // "leader", "follower", ...
    bool is_leader = false;
    bool has_leader = false;
    std::uint64_t term = 0, commit_index = 0, applied_index = 0, last_index = 0;
    std::uint64_t replication_lag_ms =
        0;  // leader: its slowest follower's; follower: since it heard the leader, past a heartbeat
    std::uint64_t leader_changes = 0;    // leaders this node has seen since it started
    std::vector<FollowerLag> followers;  // the leader's view
};

struct CacheFigures {
    std::uint64_t size = 0, capacity = 0, hits = 0, misses = 0, evictions = 0;
};

struct ActorFigures {
    std::string name, kind;
    std::uint64_t mailbox_depth = 0, messages_handled = 0;
};

struct ProcessFigures {
    std::uint64_t rss_bytes = 0;
    double cpu_seconds = 0;
    std::uint64_t open_fds = 0;
    double start_time_seconds = 0;  // since the epoch
    // The memory this process may use: its cgroup's limit (a container's), or the
    // machine's memory when there is none. 0 when neither could be read.
    std::uint64_t memory_limit_bytes = 0;
};

struct DiskFigures {
    std::uint64_t storage_bytes = 0;      // the data directory's files
    std::uint64_t storage_map_bytes = 0;  // the LMDB map size (storageMapBytes): writes fail beyond it
    std::uint64_t filesystem_size_bytes = 0, filesystem_avail_bytes = 0;
};

// One peer link, both directions (frames out on our connection, in on theirs).
struct TransportPeer {
    std::string member;
    std::uint64_t bytes_out = 0, bytes_in = 0, frames_out = 0, frames_in = 0, frames_dropped = 0;
    std::uint64_t connects = 0;  // successful dials; every one after the first is a reconnect
};

// What the node's own counters said at scrape time (live_counters.hpp).
struct LiveFigures {
    std::uint64_t proposals = 0, proposals_refused = 0, elections = 0, snapshots = 0, slow_fsyncs = 0;
    std::uint64_t storage_full = 0, storage_full_errors = 0, state_store_full = 0;
    std::uint64_t self_check_runs = 0;
    std::array<std::uint64_t, 3> self_check_ok{1, 1, 1};  // storage, peers, clock
    HistogramFigures append_batch, fsync_seconds;
    std::map<std::string, HistogramFigures> write_stages;  // by WriteStage
    std::vector<HttpFigures::Row> http_requests;
    std::map<std::string, HistogramFigures> http_latency;
    std::vector<TransportPeer> transport;
    std::uint64_t transport_rejected = 0;                 // inbound connections refused (hello, TLS, framing)
    std::map<std::string, std::uint64_t> frames_refused;  // by reason (raft::Refusal), every reason present
    std::map<std::string, std::uint64_t> bytes_sent;      // by raft::MessageType, every type present
};
LiveFigures live_figures(const NodeCounters& c);

struct MetricsInput {
    std::string node;
    double uptime_seconds = 0;  // this process's
    // The cluster's, from the replicated leader terms, over the window asked (or all
    // that is kept): leader changes, and hours with a leader.
    std::uint64_t failovers = 0;
    double led_hours = 0;
    RaftFigures raft;
    state::OpsFigures ops;  // the cluster's, from the replicated state
    std::uint64_t operations_registered = 0;
    std::uint64_t queued = 0, running = 0, retrying = 0;
    std::uint64_t history_kept = 0;
    CacheFigures cache;
    std::vector<ActorFigures> actors;
    ProcessFigures process;
    DiskFigures disk;
    LiveFigures live;
};

}  // namespace raftor::metrics
