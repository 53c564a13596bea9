// The operations daemon on a real 3-node cluster (release build, loopback):
//  1. end-to-end executions/s of noop operations: events fan out to 1,000 operations;
//     timed from the first event until every receipt is committed, and until sealed;
//  2. fire jitter of 1,000 operations on `@every 1s`: when each slot's fire was
//     proposed (createdAt) and when its handler started (startedAt), after the slot.
// Targets: over 5,000 executions/s; fire jitter p99 under 20 ms.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "runtime/schedule/schedule.hpp"
#include "tests/cluster/process_cluster.hpp"
#include "tests/common/history_pages.hpp"

using namespace raftor;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

int leader_of(testing::ProcessCluster& c) {
    auto l = c.agreed_leader(20s);
    if (!l) {
        std::fprintf(stderr, "no leader\n");
        std::exit(1);
    }
    return *l;
}

void must(const http::ClientResult& r, int status, const std::string& what) {
    if (!r.ok() || r.status != status) {
        std::fprintf(stderr, "%s: %s %d %s\n", what.c_str(), r.error.c_str(), r.status, r.body.c_str());
        std::exit(1);
    }
}

json head(testing::ProcessCluster& c, int i) {
    auto r = c.call(i, "GET", "/receipts?limit=1&from=999999999999");
    must(r, 200, "GET /receipts");
    return json::parse(r.body);
}

double pct(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * double(v.size())))];
}

void throughput(std::uint32_t max_concurrent, int events) {
    testing::ClusterOptions o;
    o.extra_json = "\"maxConcurrent\": " + std::to_string(max_concurrent) + ", \"historyMax\": 1000000, ";
    testing::ProcessCluster c(o);
    c.start_all();
    const int leader = leader_of(c);
    constexpr int fanout = 1000;
    for (int i = 0; i < fanout; ++i)
        must(c.call(leader, "POST", "/operations",
                    R"({"id":"n)" + std::to_string(i) +
                        R"(","name":"noop","triggers":{"topics":["go"]},"handler":{"kind":"noop"}})",
                    {{"Content-Type", "application/json"}}),
             201, "POST /operations");
    const std::uint64_t total = std::uint64_t(events) * fanout;
    const auto t0 = Clock::now();
    for (int e = 0; e < events; ++e) must(c.call(leader, "POST", "/events/go", "{}"), 202, "POST /events/go");
    const double posted = std::chrono::duration<double>(Clock::now() - t0).count();
    double committed = 0, sealed = 0;
    for (;;) {
        json h = head(c, leader);
        const double t = std::chrono::duration<double>(Clock::now() - t0).count();
        if (!committed && h["head"]["sequence"].get<std::uint64_t>() >= total) committed = t;
        if (h["sealedThrough"].get<std::uint64_t>() >= total) {
            sealed = t;
            break;
        }
        if (t > 300) {
            std::printf("  maxConcurrent %u: not done in 300 s (head %s)\n", max_concurrent, h.dump().c_str());
            return;
        }
        std::this_thread::sleep_for(10ms);
    }
    std::printf(
        "  maxConcurrent %5u: %llu executions; events posted in %.2f s; all receipts committed in %.2f s "
        "= %.0f executions/s; sealed in %.2f s = %.0f/s\n",
        max_concurrent, static_cast<unsigned long long>(total), posted, committed, double(total) / committed, sealed,
        double(total) / sealed);
}

void jitter(int schedules, int seconds) {
    testing::ClusterOptions o;
    o.extra_json = "\"maxConcurrent\": 2000, ";
    testing::ProcessCluster c(o);
    c.start_all();
    const int leader = leader_of(c);
    for (int i = 0; i < schedules; ++i)
        must(c.call(leader, "POST", "/operations",
                    R"({"id":"s)" + std::to_string(i) +
                        R"(","name":"tick","schedule":"@every 1s","catchUp":"all","handler":{"kind":"noop"}})",
                    {{"Content-Type", "application/json"}}),
             201, "POST /operations");
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    std::vector<double> fire, start;
    std::size_t slots = 0;
    for (int i = 0; i < schedules; ++i) {
        const json h = *testing::whole_history(
            "s" + std::to_string(i),
            [&](const std::string& target) -> std::optional<json> {
                auto r = c.call(leader, "GET", target);
                must(r, 200, "history");
                return json::parse(r.body);
            },
            "&stale=true");
        // The first slots fire while operations are still being registered: skip them.
        for (std::size_t k = 2; k < h.size(); ++k) {
            const auto& e = h[k];
            if (!e.contains("slot") || e["startedAt"].is_null()) continue;
            const auto slot = *schedule::parse_rfc3339(e["slot"].get<std::string>());
            fire.push_back(double(*schedule::parse_rfc3339(e["createdAt"].get<std::string>()) - slot));
            start.push_back(double(*schedule::parse_rfc3339(e["startedAt"].get<std::string>()) - slot));
            ++slots;
        }
    }
    std::printf("  %d schedules at 1 s for %d s: %zu slots measured\n", schedules, seconds, slots);
    std::printf("  fire proposed after its slot: p50 %.0f ms, p99 %.0f ms, max %.0f ms\n", pct(fire, 0.5),
                pct(fire, 0.99), pct(fire, 1.0));
    std::printf("  handler started after its slot: p50 %.0f ms, p99 %.0f ms, max %.0f ms\n", pct(start, 0.5),
                pct(start, 0.99), pct(start, 1.0));
}

}  // namespace

int main(int argc, char** argv) {
    const int events = argc > 1 ? std::atoi(argv[1]) : 50;
    std::printf("operations on a 3-node cluster (loopback):\n");
    throughput(10, std::max(1, events / 5));
    throughput(1000, events);
    jitter(1000, 20);
}
