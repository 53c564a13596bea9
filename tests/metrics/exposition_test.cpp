#define BOOST_TEST_MODULE metrics
// A scrape rendered: the runbook's metric names with the values given, a histogram
// Prometheus can read (cumulative buckets ending at +Inf), the JSON summary's fields,
// and - when Debian's prometheus package is installed - `promtool check metrics`.
#include "runtime/metrics/exposition.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "runtime/metrics/host_figures.hpp"

using namespace raftor;
using metrics::MetricsInput;

namespace {

MetricsInput sample() {
    MetricsInput in;
    in.node = "node-1";
    in.uptime_seconds = 12.5;
    in.failovers = 1;  // the cluster's, from the replicated leader terms
    in.led_hours = 700.25;
    in.raft.role = "leader";
    in.raft.is_leader = true;
    in.raft.has_leader = true;
    in.raft.term = 7;
    in.raft.commit_index = 120;
    in.raft.applied_index = 119;
    in.raft.last_index = 121;
    in.raft.replication_lag_ms = 4;
    in.raft.leader_changes = 2;
    in.raft.followers = {{"node-2", 120, 1, 3}, {"node-3", 118, 3, 4}};
    state::Execution e;
    e.started_ms = 1;
    e.status = state::ExecStatus::success;
    for (int i = 0; i < 9; ++i) {
        e.duration_ms = 3;
        in.ops.add(e);
    }
    e.status = state::ExecStatus::failed;
    e.duration_ms = 700;
    in.ops.add(e);
    in.operations_registered = 4;
    in.running = 1;
    in.queued = 2;
    in.history_kept = 10;
    in.cache = {3, 1000, 30, 10, 0};
    in.actors = {{"raft_peer", "consensus", 2, 500}, {"storage", "storage", 0, 80}};
    in.process = {40 << 20, 1.5, 17, 1.7e9, 512 << 20};
    in.disk = {5 << 20, 1 << 30, 100ull << 30, 40ull << 30};
    metrics::NodeCounters c;
    metrics::bump(c.proposals, 42);
    c.append_batch.observe(1);
    c.append_batch.observe(3);
    c.append_batch.observe(100);
    c.fsync_seconds.observe(0.002);
    c.fsync_seconds.observe(0.3);
    c.http.record("/kv/:key", "PUT", 200, 0.004);
    c.http.record("/kv/:key", "PUT", 200, 0.02);
    c.http.record("/kv/:key", "PUT", metrics::HttpFigures::forwarded, 0.003);
    c.http.record("/kv/:key", "BREW", 200, 0.001);
    c.http.record("/operations", "POST", 400, 0.001);
    in.live = metrics::live_figures(c);
    in.live.transport = {{"node-2", 1000, 900, 10, 9, 1, 3}};
    return in;
}

bool has_line(const std::string& text, const std::string& line) {
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);)
        if (l == line) return true;
    return false;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_runbooks_names_carry_the_figures) {
    const std::string text = metrics::render_text(sample());
    for (const char* line : {
             "# TYPE daemon_operations_total counter",
             "daemon_operations_total 10",
             "daemon_operations_failed_total 1",
             "daemon_operations_status_total{status=\"success\"} 9",
             "# TYPE daemon_operation_duration_ms histogram",
             "daemon_operation_duration_ms_bucket{le=\"5\"} 9",
             "daemon_operation_duration_ms_bucket{le=\"500\"} 9",
             "daemon_operation_duration_ms_bucket{le=\"1000\"} 10",
             "daemon_operation_duration_ms_bucket{le=\"+Inf\"} 10",
             "daemon_operation_duration_ms_count 10",
             "daemon_operation_duration_ms_sum 727",
             "daemon_operations_active{state=\"queued\"} 2",
             "daemon_raft_replication_lag_ms 4",
             "raft_term 7",
             "raft_commit_index 120",
             "raft_applied_index 119",
             "raft_is_leader 1",
             "raft_leader_changes_total 2",
             "raft_follower_lag_entries{member=\"node-3\"} 3",
             "actor_mailbox_depth{actor=\"raft_peer\",kind=\"consensus\"} 2",
             "actor_messages_total{actor=\"storage\",kind=\"storage\"} 80",
             "daemon_cache_hits_total 30",
             "process_open_fds 17",
             "raftor_node_info{node=\"node-1\"} 1",
             "raft_proposals_total 42",
             "# TYPE raft_append_batch_size histogram",
             "raft_append_batch_size_bucket{le=\"1\"} 1",
             "raft_append_batch_size_bucket{le=\"4\"} 2",
             "raft_append_batch_size_bucket{le=\"128\"} 3",
             "raft_append_batch_size_count 3",
             "raft_append_batch_size_sum 104",
             "raft_fsync_duration_seconds_bucket{le=\"0.0025\"} 1",
             "raft_fsync_duration_seconds_bucket{le=\"0.5\"} 2",
             "raft_fsync_duration_seconds_sum 0.302",
             "storage_bytes 5242880",
             "storage_map_bytes 1073741824",
             "transport_bytes_total{peer=\"node-2\",direction=\"out\"} 1000",
             "transport_frames_total{peer=\"node-2\",direction=\"in\"} 9",
             "transport_frames_dropped_total{peer=\"node-2\"} 1",
             "transport_reconnects_total{peer=\"node-2\"} 2",
             "http_requests_total{route=\"/kv/:key\",method=\"PUT\",status=\"200\"} 2",
             "http_requests_total{route=\"/operations\",method=\"POST\",status=\"400\"} 1",
             "http_requests_total{route=\"/kv/:key\",method=\"PUT\",status=\"forwarded\"} 1",
             "http_requests_total{route=\"/kv/:key\",method=\"other\",status=\"200\"} 1",
             "http_request_duration_seconds_bucket{route=\"/kv/:key\",le=\"0.005\"} 3",
             "http_request_duration_seconds_count{route=\"/kv/:key\"} 4",
             "process_resident_memory_bytes 41943040",
             "process_memory_limit_bytes 536870912",
         })
        BOOST_TEST(has_line(text, line), "missing: " << line << "\n" << text);
    // A follower has no view of the others: no per-follower series.
    auto follower = sample();
    follower.raft.is_leader = false;
    const std::string ftext = metrics::render_text(follower);
    BOOST_TEST(ftext.find("raft_follower_lag_entries") == std::string::npos);
    BOOST_TEST(has_line(ftext, "raft_is_leader 0"));
}

BOOST_AUTO_TEST_CASE(the_json_summary_has_the_runbooks_fields) {
    const auto j = metrics::render_summary(sample());
    BOOST_TEST(j["totalOperations"] == 10);
    BOOST_TEST(j["successRate"].get<double>() == 90.0);  // percent, as the runbook compares it
    BOOST_TEST(j["avgDuration"].get<double>() == 72.7, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(j["p95Duration"].get<double>() == 500.0 + 500.0 * 0.5, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(j["activeCount"] == 3);
    BOOST_TEST(j["errorCount"] == 1);
    BOOST_TEST(j["cacheSize"] == 3);
    BOOST_TEST(j["cacheHitRate"].get<double>() == 0.75);
    BOOST_TEST(j["clusterHealth"]["replicationLag"] == 4);
    BOOST_TEST(j["clusterHealth"]["failoverCount"] == 1);
    BOOST_TEST(j["cache"]["maxSize"] == 1000);
    BOOST_TEST(j["cache"]["hits"] == 30);
    // Hours with a leader (the monthly SLO divides by 730), not this process's.
    BOOST_TEST(j["clusterHealth"]["uptime"].get<double>() == 700.25);
    // The runbook's monthly review reads these at the top level.
    BOOST_TEST(j["uptime"].get<double>() == 700.25);
    BOOST_TEST(j["failoverCount"] == 1);
    BOOST_TEST(j["replicationLag"] == j["clusterHealth"]["replicationLag"]);
    BOOST_TEST(j.contains("errorCount"));
    for (const char* k : {"p99Duration", "cacheHits", "cacheMisses"}) BOOST_TEST(j.contains(k), k);
}

BOOST_AUTO_TEST_CASE(the_memory_limit_is_the_cgroups_or_the_machines) {
    namespace fs = std::filesystem;
    const fs::path root = fs::temp_directory_path() / ("raftor-cgroup-test-" + std::to_string(::getpid()));
    fs::create_directories(root / "pod/app");
    fs::create_directories(root / "memory/docker/abc");
    auto write = [](const fs::path& p, const std::string& s) { std::ofstream(p) << s; };
    constexpr std::uint64_t total = 8ULL << 30;
    // v2: a container's memory.max; "max" is none.
    write(root / "pod/app/memory.max", "536870912\n");
    BOOST_TEST(metrics::memory_limit("0::/pod/app\n", root.string(), total) == 512ULL << 20);
    write(root / "pod/app/memory.max", "max\n");
    BOOST_TEST(metrics::memory_limit("0::/pod/app\n", root.string(), total) == total);
    // v1: memory.limit_in_bytes; its "no limit" is a number larger than the machine.
    write(root / "memory/docker/abc/memory.limit_in_bytes", "1073741824\n");
    BOOST_TEST(metrics::memory_limit("4:memory:/docker/abc\n1:cpu:/\n", root.string(), total) == 1ULL << 30);
    write(root / "memory/docker/abc/memory.limit_in_bytes", "9223372036854771712\n");
    BOOST_TEST(metrics::memory_limit("4:memory:/docker/abc\n", root.string(), total) == total);
    // Nothing readable, or a path that climbs out: the machine's memory.
    BOOST_TEST(metrics::memory_limit("0::/gone\n", root.string(), total) == total);
    BOOST_TEST(metrics::memory_limit("0::/../../etc\n", root.string(), total) == total);
    BOOST_TEST(metrics::memory_limit("garbage", root.string(), total) == total);
    fs::remove_all(root);
    // This process: some limit, never above the machine's memory.
    const auto p = metrics::read_process();
    BOOST_TEST(p.memory_limit_bytes > 0u);
    BOOST_TEST(p.rss_bytes < p.memory_limit_bytes);
}

BOOST_AUTO_TEST_CASE(promtool_accepts_the_exposition) {
    const char* promtool = "/usr/bin/promtool";
    if (::access(promtool, X_OK) != 0) {
        BOOST_TEST_MESSAGE("promtool is not installed (Debian's prometheus package): not checked");
        return;
    }
    const auto file = std::filesystem::temp_directory_path() / ("raftor-metrics-" + std::to_string(::getpid()));
    std::ofstream(file) << metrics::render_text(sample());
    const std::string cmd = std::string(promtool) + " check metrics < " + file.string() + " 2>&1";
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "r");
    BOOST_REQUIRE(p != nullptr);
    char buf[512];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    const int rc = ::pclose(p);
    std::filesystem::remove(file);
    // The runbook's own two names end in "_ms", which promtool's lint remarks on (and
    // then exits non-zero); they stay, so its alert rules work unchanged. Nothing else
    // may be remarked on, and a format error is never a remark of that kind.
    std::istringstream lines(out);
    int remarks = 0;
    for (std::string l; std::getline(lines, l);) {
        const bool runbook_unit =
            l == "daemon_operation_duration_ms metric names should not contain abbreviated units" ||
            l == "daemon_raft_replication_lag_ms metric names should not contain abbreviated units";
        BOOST_TEST(runbook_unit, "promtool: " << l);
        ++remarks;
    }
    BOOST_TEST(remarks == 2, out);
    BOOST_TEST((rc == 0 || WEXITSTATUS(rc) == 3), "promtool exited " << rc << ": " << out);
}
