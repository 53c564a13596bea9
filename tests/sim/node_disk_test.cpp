// A simulated node's disk under the real LogStore: what a sync made durable survives a
// crash and what was only written may not; the commit index is written as LogStore
// writes it; a failed sync stops the store; a full disk refuses writes until there is
// room, and preallocated WAL segments hold room in reserve.
#include "sim/node_disk.hpp"

#include <boost/test/unit_test.hpp>

using namespace raftor;
using namespace raftor::sim;
using storage::Errc;
using storage::WriteBatch;

namespace {

WriteBatch batch(raft::Index from, raft::Index to, raft::Term term, std::optional<raft::HardState> hs = {},
                 std::size_t payload = 2) {
    WriteBatch b;
    for (raft::Index i = from; i <= to; ++i)
        b.entries.push_back(raft::Entry{term, i, raft::EntryType::normal, std::string(payload, 'e')});
    b.hard_state = hs;
    return b;
}

// The node's store on its disk, as a start opens it.
std::shared_ptr<storage::LogStore> opened(NodeDisk& d) {
    storage::Status st;
    auto s = d.open(st);
    BOOST_REQUIRE_MESSAGE(s, st.message);
    return s;
}

storage::Loaded reload(NodeDisk& d) {
    auto s = opened(d);
    storage::Loaded l;
    BOOST_REQUIRE_MESSAGE(s->load(l).ok(), "load");
    return l;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(node_disk)

BOOST_AUTO_TEST_CASE(a_crash_keeps_what_was_synced_and_the_commit_index_as_log_store_writes_it) {
    raft::Rng rng(1);
    NodeDisk d(rng, 64 << 10);
    auto s = opened(d);
    BOOST_TEST(s->write(batch(1, 3, 1, raft::HardState{1, 2, 0})).ok());
    // A commit-index change alone is not written...
    BOOST_TEST(s->write(batch(4, 4, 1, raft::HardState{1, 2, 3})).ok());
    d.crash();
    auto l = reload(d);
    BOOST_TEST(l.entries.size() == 4u);
    BOOST_TEST(l.hard_state.term == 1u);
    BOOST_TEST(l.hard_state.vote == 2u);
    BOOST_TEST(l.hard_state.commit == 0u);
    // ...until a term change carries it (capped at the log's end) or a flush.
    s = opened(d);
    BOOST_TEST(s->write(batch(5, 5, 2, raft::HardState{2, 0, 9})).ok());
    BOOST_TEST(s->write(batch(6, 6, 2, raft::HardState{2, 0, 6})).ok());
    d.crash();
    l = reload(d);
    BOOST_TEST(l.hard_state.term == 2u);
    BOOST_TEST(l.hard_state.commit == 4u);  // the entries durable when the term was written
    BOOST_TEST(l.entries.size() == 6u);
    s = opened(d);
    BOOST_TEST(s->write(batch(7, 7, 2, raft::HardState{2, 0, 7})).ok());
    BOOST_TEST(s->flush().ok());
    // The handle of the store from before a crash is dead.
    d.crash();
    BOOST_TEST(!s->write(batch(8, 8, 2)).ok());
    l = reload(d);
    BOOST_TEST(l.hard_state.commit == 7u);
    BOOST_TEST(l.entries.back().index == 7u);
}

BOOST_AUTO_TEST_CASE(a_failed_sync_stops_the_store_and_a_restart_finds_a_clean_prefix) {
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        raft::Rng rng(seed);
        NodeDisk d(rng, 64 << 10);
        auto s = opened(d);
        BOOST_REQUIRE(s->write(batch(1, 2, 1, raft::HardState{1, 1, 0})).ok());
        d.set_faults(DiskFaults{.sync_fail = 1.0});
        const WriteBatch b3 = batch(3, 4, 1, {}, 700), b5 = batch(5, 6, 1, {}, 700);
        const storage::Status st = s->write(std::vector<const WriteBatch*>{&b3, &b5});
        BOOST_TEST((st.code == Errc::io));
        BOOST_TEST(st.message.find("Input/output error") != std::string::npos, st.message);
        // Sticky: nothing later is acknowledged, not even after the fault is gone.
        d.set_faults(DiskFaults{});
        BOOST_TEST(!s->write(batch(7, 7, 1)).ok());
        BOOST_TEST(d.failed_syncs() == 1u);
        d.crash();
        const auto l = reload(d);
        const auto n = l.entries.size();
        BOOST_TEST((n >= 2u && n <= 6u));  // a prefix: a torn write is cut, never spliced
        for (std::size_t i = 0; i < n; ++i) BOOST_TEST(l.entries[i].index == i + 1);
        BOOST_TEST(l.hard_state.term == 1u);
    }
}

BOOST_AUTO_TEST_CASE(a_full_disk_refuses_writes_until_there_is_room_and_preallocation_holds_some_back) {
    raft::Rng rng(3);
    NodeDisk d(rng, 64 << 10);
    auto s = opened(d);
    BOOST_TEST(s->write(batch(1, 4, 1, raft::HardState{1, 1, 0}, 1000)).ok());
    // Full now; but the segment was preallocated: writes go on into it...
    d.set_faults(DiskFaults{.capacity_bytes = d.used()});
    raft::Index next = 5;
    storage::Status st;
    while ((st = s->write(batch(next, next, 1, {}, 1000))).ok()) ++next;
    BOOST_TEST(next > 40u);  // ~60 KiB of the 64 KiB segment
    // ...until the next segment is needed: refused for lack of room, nothing written.
    BOOST_TEST((st.code == Errc::map_full));
    BOOST_TEST(st.message.find("No space left on device") != std::string::npos, st.message);
    BOOST_TEST(d.full_refusals() == 1u);
    // A write that carries a term change too: its entries do not fit.
    BOOST_TEST((s->write(batch(next, next, 2, raft::HardState{2, 3, 0}, 1)).code == Errc::map_full));
    // The same refused write succeeds once there is room, with no restart.
    d.set_faults(DiskFaults{});
    BOOST_TEST(s->write(batch(next, next, 2, raft::HardState{2, 3, 0}, 1)).ok());
    d.crash();
    const auto l = reload(d);
    BOOST_TEST(l.entries.back().index == next);
    BOOST_TEST(l.hard_state.vote == 3u);
}

BOOST_AUTO_TEST_SUITE_END()
