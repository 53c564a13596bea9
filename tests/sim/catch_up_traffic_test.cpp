// A node cut off while the others took writes comes back and catches up: what it is
// sent must be about what it missed, even while the leader serves a read-heavy load
// (every linearizable read confirms leadership with a heartbeat round). Counted on the
// simulated network over the real actors, seed by seed.
#include <boost/test/unit_test.hpp>

#include "sim/actor_cluster.hpp"
#include "sim/workload.hpp"

using namespace raftor;
using namespace raftor::sim;

namespace {

struct CatchUp {
    std::uint64_t missed_entries = 0;
    std::uint64_t entry_bytes = 0;     // of the entries it appended while catching up
    std::uint64_t snapshot_bytes = 0;  // of the snapshots it installed meanwhile
    std::uint64_t delivered = 0;       // bytes the network delivered to it meanwhile
    std::uint64_t took_us = 0;
    std::uint64_t fetches = 0;  // the leader's reads of entries back from its disk
    std::size_t cached_bytes_max = 0;
    std::vector<std::string> violations;
};

CatchUp cut_off_then_heal(std::uint64_t seed, std::uint64_t snapshot_interval_ops, std::size_t log_cache_bytes = 0) {
    ClusterOptions opts{.nodes = 3, .seed = seed, .snapshot_interval_ops = snapshot_interval_ops};
    opts.log_cache_bytes_max = log_cache_bytes;
    ActorCluster c(opts);
    BOOST_REQUIRE(c.run_until([&] { return c.leader() != 0; }, 10'000'000));
    const raft::NodeId leader = c.leader();
    const raft::NodeId away = leader % 3 + 1;
    Workload w(c, WorkloadOptions{.clients = 16, .keys = 50, .think_max_us = 2'000, .value_padding = 1000});
    w.start();
    c.run_for(500'000);
    std::set<raft::NodeId> rest;
    for (raft::NodeId id = 1; id <= 3; ++id)
        if (id != away) rest.insert(id);
    c.partition({{away}, rest});
    c.run_for(6'000'000);
    // From here on only reads: the catch-up has a fixed end, and every read is a heartbeat round.
    w.set_read_percent(100);
    c.run_for(200'000);  // writes already sent settle
    const raft::NodeId now_leader = c.leader();
    BOOST_REQUIRE(now_leader != 0 && now_leader != away);
    const raft::Index target = c.view(now_leader).last_index;
    CatchUp r;
    r.missed_entries = target - c.view(away).last_index;
    const auto before = c.intake(away);
    const std::uint64_t delivered_before = c.network().bytes_delivered[away];
    const std::uint64_t healed_at = c.now_us();
    c.heal();
    BOOST_REQUIRE(c.run_until([&] { return c.intake(away).last_index >= target; }, 30'000'000));
    r.took_us = c.now_us() - healed_at;
    r.entry_bytes = c.intake(away).entry_bytes - before.entry_bytes;
    r.snapshot_bytes = c.intake(away).snapshot_bytes - before.snapshot_bytes;
    r.delivered = c.network().bytes_delivered[away] - delivered_before;
    r.fetches = c.intake(now_leader).fetches;
    r.cached_bytes_max = c.intake(now_leader).cached_bytes_max;
    w.stop();
    r.violations = c.invariants().violations();
    return r;
}

void check(const CatchUp& r, std::uint64_t seed) {
    const double owed = static_cast<double>(r.entry_bytes + r.snapshot_bytes);
    BOOST_TEST_MESSAGE("seed " << seed << ": missed " << r.missed_entries << " entries, caught up in "
                               << r.took_us / 1000 << " ms: " << r.entry_bytes << " B of entries + " << r.snapshot_bytes
                               << " B of snapshot, " << r.delivered << " B delivered ("
                               << (owed > 0 ? r.delivered / owed : 0) << "x)");
    BOOST_TEST(r.violations.empty());
    BOOST_TEST(r.missed_entries > 1000u);
    BOOST_TEST(static_cast<double>(r.delivered) <= 1.2 * owed);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(catch_up_traffic)

BOOST_AUTO_TEST_CASE(entries_from_the_log) {
    for (std::uint64_t seed : {1, 2, 3}) {
        const CatchUp r = cut_off_then_heal(seed, 1'000'000);
        check(r, seed);
        BOOST_TEST(r.snapshot_bytes == 0u);
    }
}

BOOST_AUTO_TEST_CASE(a_snapshot_then_entries) {
    for (std::uint64_t seed : {1, 2, 3}) {
        const CatchUp r = cut_off_then_heal(seed, 500);
        check(r, seed);
        BOOST_TEST(r.snapshot_bytes > 0u);
    }
}

// The leader keeps 64 KiB of payloads in memory, far less than the node missed: what
// it sends comes back from its disk, batch by batch, and costs no more on the wire.
BOOST_AUTO_TEST_CASE(entries_read_back_from_storage) {
    for (std::uint64_t seed : {1, 2}) {
        const CatchUp r = cut_off_then_heal(seed, 1'000'000, 64 << 10);
        check(r, seed);
        BOOST_TEST_MESSAGE("seed " << seed << ": " << r.fetches << " reads from the leader's disk, at most "
                                   << r.cached_bytes_max << " B of payloads in memory");
        BOOST_TEST(r.snapshot_bytes == 0u);
        BOOST_TEST(r.fetches > 0u);
        BOOST_TEST(r.entry_bytes > 10 * (64u << 10));
        // The cache holds its budget, plus what is not yet applied (a few batches).
        BOOST_TEST(r.cached_bytes_max < 4 * (64u << 10));
    }
}

BOOST_AUTO_TEST_SUITE_END()
