#pragma once
// Figures the node's actors and I/O threads bump as they work: proposals, append batch
// sizes, fsync times, HTTP requests. Relaxed atomics, so any thread may bump and the
// gateway may read at scrape time without stopping anyone. Built with
// -DRAFTOR_METRICS=OFF every bump is compiled out, to measure what they cost.
#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#ifndef RAFTOR_METRICS_ENABLED
#define RAFTOR_METRICS_ENABLED 1
#endif

namespace raftor::metrics {

inline constexpr bool enabled = RAFTOR_METRICS_ENABLED != 0;

inline void bump(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) {
    if constexpr (enabled) c.fetch_add(n, std::memory_order_relaxed);
}

// A histogram as read at one moment: per-bucket (not cumulative) counts, the last one
// above every bound (+Inf).
struct HistogramFigures {
    std::vector<double> bounds;
    std::vector<std::uint64_t> counts;  // bounds.size() + 1
    std::uint64_t count = 0;
    double sum = 0;
};

class Histogram {
public:
    explicit Histogram(std::vector<double> bounds);
    void observe(double v);
    HistogramFigures figures() const;

private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
    std::atomic<std::uint64_t> count_{0};
    std::atomic<std::uint64_t> sum_millionths_{0};  // no atomic<double> add before C++20 on every target
};

// HTTP requests by route (the pattern, not the path: bounded labels), method and status,
// and a latency histogram per route.
class HttpFigures {
public:
    // `status`: the code, or `forwarded` for a write passed on to the leader. Runs for
    // every request: a lookup without allocation once a (route, method, status) is known.
    static constexpr int forwarded = 0;
    void record(std::string_view route, std::string_view method, int status, double seconds);
    struct Row {
        std::string route, method, status;
        std::uint64_t count = 0;
    };
    std::vector<Row> requests() const;
    std::map<std::string, HistogramFigures> latency() const;

private:
    mutable std::mutex mu_;
    // Methods by index into a fixed list ("other" last): bounded labels, no strings kept.
    std::map<std::tuple<std::string, std::uint8_t, int>, std::uint64_t, std::less<>> counts_;
    std::map<std::string, std::unique_ptr<Histogram>, std::less<>> latency_;
};

// Where a write's time goes, on the leader that took it: from the HTTP request to its
// proposal (the gateway's and the peer's queues), to its fsync here, to a quorum's
// acknowledgement (commit), to its apply, to the answer handed to the HTTP server.
enum class WriteStage : std::uint8_t {
    gateway_queue,
    propose_to_persisted,
    persisted_to_quorum,
    commit_to_apply,
    apply_to_answer
};
inline constexpr std::size_t write_stage_count = 5;
const char* to_string(WriteStage s);

struct NodeCounters {
    std::atomic<std::uint64_t> proposals{0};            // accepted by this node as leader
    std::atomic<std::uint64_t> proposals_refused{0};    // refused (not the leader, ...)
    std::atomic<std::uint64_t> leader_changes{0};       // a new leader known, since start
    std::atomic<std::uint64_t> elections{0};            // campaigns this node started
    std::atomic<std::uint64_t> snapshots{0};            // snapshots this node took
    std::atomic<std::uint64_t> slow_fsyncs{0};          // over slow_fsync_seconds
    std::atomic<std::uint64_t> storage_full{0};         // 1 while writes wait for room (map or disk full)
    std::atomic<std::uint64_t> storage_full_errors{0};  // writes that failed for lack of room
    std::atomic<std::uint64_t> state_store_full{0};     // 1 while applying waits for room in the state store
    // The periodic self-check: runs, and 1/0 per check (storage, peers, clock).
    std::atomic<std::uint64_t> self_check_runs{0};
    std::array<std::atomic<std::uint64_t>, 3> self_check_ok{1, 1, 1};
    // Peer frames dropped at the boundary, by raft::Refusal (index 0, none, unused).
    std::array<std::atomic<std::uint64_t>, 16> frames_refused{};
    // Encoded bytes of the Raft messages this node sent, by raft::MessageType: where a
    // peer link's traffic goes (entries, heartbeats, snapshot chunks).
    std::array<std::atomic<std::uint64_t>, 16> bytes_sent{};
    Histogram append_batch{{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096}};
    Histogram fsync_seconds{{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}};
    HttpFigures http;
    // By WriteStage (Histogram is neither copied nor moved: one allocation each).
    std::array<std::unique_ptr<Histogram>, write_stage_count> write_stage_seconds = stage_histograms();
    void observe_stage(WriteStage s, std::int64_t ns) {
        write_stage_seconds[static_cast<std::size_t>(s)]->observe(static_cast<double>(ns) / 1e9);
    }
    static constexpr double slow_fsync_seconds = 0.1;

private:
    static std::array<std::unique_ptr<Histogram>, write_stage_count> stage_histograms();
};
using CountersPtr = std::shared_ptr<NodeCounters>;

}  // namespace raftor::metrics
