// The simulated disk under the storage actor: durable only after a sync, the commit
// index written as LogStore writes it, and faults that stop the node without
// corrupting what it had.
#include "sim/sim_store.hpp"

#include <boost/test/unit_test.hpp>

using namespace raftor;
using namespace raftor::sim;
using storage::Errc;
using storage::WriteBatch;

namespace {

WriteBatch batch(raft::Index from, raft::Index to, raft::Term term, std::optional<raft::HardState> hs = {}) {
    WriteBatch b;
    for (raft::Index i = from; i <= to; ++i)
        b.entries.push_back(raft::Entry{term, i, raft::EntryType::normal, "e" + std::to_string(i)});
    b.hard_state = hs;
    return b;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sim_store)

BOOST_AUTO_TEST_CASE(writes_are_durable_and_the_commit_index_is_deferred_like_log_store) {
    raft::Rng rng(1);
    auto disk = std::make_shared<SimDisk>();
    SimStore s(disk, rng);
    BOOST_TEST(s.write(batch(1, 3, 1, raft::HardState{1, 2, 0})).ok());
    BOOST_TEST(disk->durable.entries.size() == 3u);
    BOOST_TEST(disk->durable.hard_state.term == 1u);
    BOOST_TEST(disk->durable.hard_state.vote == 2u);
    BOOST_TEST(disk->written.empty());
    // A commit-index change alone is not written...
    BOOST_TEST(s.write(batch(4, 4, 1, raft::HardState{1, 2, 3})).ok());
    BOOST_TEST(disk->durable.hard_state.commit == 0u);
    // ...until a term change carries it (capped at the log's end) or a flush.
    BOOST_TEST(s.write(batch(5, 5, 2, raft::HardState{2, 0, 9})).ok());
    BOOST_TEST(disk->durable.hard_state.term == 2u);
    BOOST_TEST(disk->durable.hard_state.commit == 5u);
    BOOST_TEST(s.write(batch(6, 6, 2, raft::HardState{2, 0, 6})).ok());
    BOOST_TEST(disk->durable.hard_state.commit == 5u);
    BOOST_TEST(s.flush().ok());
    BOOST_TEST(disk->durable.hard_state.commit == 6u);
    // A conflicting suffix is replaced; a local snapshot drops what it covers.
    BOOST_TEST(s.write(batch(4, 4, 3)).ok());
    BOOST_TEST(disk->durable.entries.size() == 4u);
    raft::SnapshotMeta meta;
    meta.index = 2;
    meta.term = 1;
    BOOST_TEST(s.save_snapshot(meta, "state").ok());
    BOOST_TEST(disk->durable.entries.size() == 2u);
    BOOST_TEST(disk->durable.entries.front().index == 3u);
    BOOST_TEST(*disk->durable.snapshot_data == "state");
    BOOST_TEST(disk->syncs == 5u);
}

BOOST_AUTO_TEST_CASE(a_failed_sync_stops_the_store_and_a_crash_keeps_a_prefix_of_what_was_written) {
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        raft::Rng rng(seed);
        auto disk = std::make_shared<SimDisk>();
        SimStore s(disk, rng);
        BOOST_REQUIRE(s.write(batch(1, 2, 1, raft::HardState{1, 1, 0})).ok());
        disk->faults.sync_fail = 1.0;
        const WriteBatch b3 = batch(3, 4, 1), b5 = batch(5, 6, 1);
        const auto st = s.write(std::vector<const WriteBatch*>{&b3, &b5});
        BOOST_TEST((st.code == Errc::io));
        BOOST_TEST(st.message == "simulated fsync failure");
        BOOST_TEST(disk->written.size() == 2u);
        BOOST_TEST(disk->durable.entries.size() == 2u);
        // Sticky: nothing later is acknowledged, not even after the fault is gone.
        disk->faults.sync_fail = 0;
        BOOST_TEST(s.write(batch(7, 7, 1)).message == "storage stopped after an earlier failure");
        BOOST_TEST(!s.flush().ok());
        disk->crash(rng);
        BOOST_TEST(disk->written.empty());
        const auto n = disk->durable.entries.size();
        BOOST_TEST((n == 2u || n == 4u || n == 6u));  // whole batches, in order
        for (std::size_t i = 0; i < n; ++i) BOOST_TEST(disk->durable.entries[i].index == i + 1);
    }
}

BOOST_AUTO_TEST_CASE(a_full_disk_refuses_the_write_whole_until_there_is_room) {
    raft::Rng rng(3);
    auto disk = std::make_shared<SimDisk>();
    disk->faults.capacity_entries = 5;
    SimStore s(disk, rng);
    BOOST_TEST(s.write(batch(1, 4, 1, raft::HardState{1, 1, 0})).ok());
    const auto st = s.write(batch(5, 6, 1));
    BOOST_TEST((st.code == Errc::map_full));
    BOOST_TEST(st.message == "simulated disk full: 4 entries held, 5 fit");
    BOOST_TEST(disk->durable.entries.size() == 4u);
    BOOST_TEST(disk->written.empty());
    BOOST_TEST(disk->full_refusals == 1u);
    // What fits still goes in; the same refused write succeeds once there is room,
    // with no restart (as LogStore: the node keeps the write and retries it).
    BOOST_TEST(s.write(batch(5, 5, 1)).ok());
    BOOST_TEST((s.write(batch(5, 6, 1)).code == Errc::map_full));
    disk->faults.capacity_entries = 0;
    BOOST_TEST(s.write(batch(5, 6, 1)).ok());
    BOOST_TEST(disk->durable.restore().entries.size() == 6u);
}

BOOST_AUTO_TEST_SUITE_END()
