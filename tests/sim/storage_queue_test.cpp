// The storage actor's queue is bounded by the leader's limits in bytes, whatever the
// disk's speed: a follower with a slow disk holds at most the window the leader keeps
// to it (raft.inflightBytesMax) plus one append; a leader with a slow disk at most its
// uncommitted bytes (raft.uncommittedBytesMax) plus one proposal. Measured over the
// real actors in the simulator, under a write load that keeps the limits pressed.
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "sim/actor_cluster.hpp"
#include "sim/workload.hpp"

using namespace raftor;
using namespace raftor::sim;

namespace {

constexpr std::size_t window = 2 << 20;         // raft.inflightBytesMax here
constexpr std::size_t uncommitted = 512 << 10;  // raft.uncommittedBytesMax here
constexpr std::size_t append_max = 1 << 20;     // one append's bytes at most (append_bytes_max)

// The most bytes node `id`'s storage ever had queued, as /debug/actors/storage says.
std::uint64_t queue_peak(ActorCluster& c, raft::NodeId id) {
    const auto r = c.http(id, "GET", "/debug/actors/storage");
    BOOST_REQUIRE(r.has_value());
    BOOST_REQUIRE_MESSAGE(r->status == 200, r->body);
    const auto j = nlohmann::json::parse(r->body);
    return std::stoull(j.at("state").at("pendingBytesPeak").get<std::string>());
}

struct Peaks {
    std::uint64_t slow = 0, others = 0;
    std::uint64_t writes_ok = 0;
};

// Node `slow(leader)`'s disk takes up to 300 ms a sync while 32 clients write values of
// `value_bytes` without pause for 5 s.
template <class Pick>
Peaks slow_disk_under_load(std::uint64_t seed, std::size_t value_bytes, Pick slow_of) {
    ClusterOptions opts{.nodes = 3, .seed = seed};
    opts.inflight_bytes_max = window;
    opts.uncommitted_bytes_max = uncommitted;
    ActorCluster c(opts);
    BOOST_REQUIRE(c.run_until([&] { return c.leader() != 0; }, 10'000'000));
    const raft::NodeId leader = c.leader();
    const raft::NodeId slow = slow_of(leader);
    c.set_disk_delay(slow, 300'000);
    Workload w(c, WorkloadOptions{
                      .clients = 32, .keys = 50, .think_max_us = 1, .read_percent = 0, .value_padding = value_bytes});
    w.start();
    c.run_for(5'000'000);
    w.stop();
    // A storage actor held by its disk answers the introspector late: read it once the disk is quick again.
    c.set_disk_delay(slow, opts.disk_latency_max_us);
    c.run_for(2'000'000);
    BOOST_TEST(c.leader() == leader);  // one leader throughout: its limits are the ones measured
    Peaks p;
    p.slow = queue_peak(c, slow);
    for (raft::NodeId id = 1; id <= 3; ++id)
        if (id != slow) p.others = std::max(p.others, queue_peak(c, id));
    p.writes_ok = w.counts().writes_ok;
    BOOST_TEST(c.invariants().ok());
    BOOST_TEST(c.answered_twice() == 0u);
    BOOST_TEST_MESSAGE("seed " << seed << ": slow disk's queue peaked at " << p.slow << " B, the others' at "
                               << p.others << " B, " << p.writes_ok << " writes acknowledged");
    return p;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(storage_queue)

BOOST_AUTO_TEST_CASE(a_follower_with_a_slow_disk_queues_at_most_the_window) {
    const Peaks p = slow_disk_under_load(1, 4000, [](raft::NodeId leader) { return leader % 3 + 1; });
    BOOST_TEST(p.writes_ok > 1000u);
    BOOST_TEST(p.slow <= window + append_max);
    BOOST_TEST(p.slow > append_max);  // the window was pressed: the bound is what held it
}

// Followers alone commit here; before the leader counted its own disk, its queue grew
// to 1.7-1.9 MB against this limit of 512 KiB.
BOOST_AUTO_TEST_CASE(a_leader_with_a_slow_disk_queues_at_most_its_uncommitted_bytes) {
    // 32 writes of 32 KB outstanding are twice what the leader may hold uncommitted.
    const std::size_t value_bytes = 32000;
    const Peaks p = slow_disk_under_load(1, value_bytes, [](raft::NodeId leader) { return leader; });
    BOOST_TEST(p.writes_ok > 20u);
    BOOST_TEST(p.slow <= uncommitted + value_bytes + 1024);
    BOOST_TEST(p.slow >= uncommitted / 2);
}

BOOST_AUTO_TEST_SUITE_END()
