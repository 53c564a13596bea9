// The storage actor out of room, on CAF's deterministic scheduler: a snapshot that
// does not fit holds back no batch (a leader whose own write waited behind it could
// never apply what its followers committed, nor answer a read); batches that do not
// fit wait, in order, and are written by the retry once there is room.
#include "actors/storage.hpp"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include "tests/common/caf_testing.hpp"

using namespace raftor;
using namespace raftor::actors;

namespace {

struct FakeStore final : storage::Store {
    bool snapshot_fits = false, batches_fit = true;
    std::vector<raft::Index> written;  // the last entry index of each batch written
    storage::Status write(const std::vector<const storage::WriteBatch*>& batches) override {
        if (!batches_fit) return {storage::Errc::map_full, "MDB_MAP_FULL: batch"};
        for (const auto* b : batches) written.push_back(b->entries.empty() ? 0 : b->entries.back().index);
        return {};
    }
    using Store::write;
    storage::Status flush() override { return {}; }
    storage::Status save_snapshot(const raft::SnapshotMeta&, const std::string&) override {
        if (!snapshot_fits) return {storage::Errc::map_full, "MDB_MAP_FULL: snapshot"};
        return {};
    }
    storage::Status read_entries(raft::Index, std::size_t, std::size_t, std::vector<raft::Entry>&) const override {
        return {};
    }
    std::vector<std::pair<std::string, std::string>> figures() const override { return {}; }
};

struct Heard {
    std::vector<std::uint64_t> persisted;
    std::vector<bool> full;  // each storage_full report, in order (a new reason is told again)
    bool full_now() const { return !full.empty() && full.back(); }
    bool ever_recovered() const { return std::find(full.begin(), full.end(), false) != full.end(); }
};

caf::behavior recording_peer(caf::event_based_actor*, std::shared_ptr<Heard> heard) {
    return {
        [=](persisted_atom, std::uint64_t id) { heard->persisted.push_back(id); },
        [=](storage_full_atom, bool full, const std::string&) { heard->full.push_back(full); },
    };
}

BatchPtr batch(raft::Index index) {
    auto b = std::make_shared<storage::WriteBatch>();
    b->entries.push_back(raft::Entry{.term = 1, .index = index});
    return b;
}

struct Fixture {
    caf::actor_system sys{raftor::testing::deterministic_config()};
    caf::scheduler::test_coordinator& sched = dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
    std::shared_ptr<FakeStore> store = std::make_shared<FakeStore>();
    std::shared_ptr<Heard> heard = std::make_shared<Heard>();
    caf::actor peer = sys.spawn(recording_peer, heard);
    Storage storage = sys.spawn(storage_actor, std::shared_ptr<storage::Store>(store), caf::actor_cast<Peer>(peer),
                                metrics::CountersPtr(), system_wall_clock());
    ~Fixture() {
        caf::anon_send_exit(peer, caf::exit_reason::user_shutdown);
        caf::anon_send_exit(storage, caf::exit_reason::user_shutdown);
        drain();
    }
    void drain() {
        while (sched.try_run_once()) {
        }
    }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_snapshot_without_room_holds_back_no_batch_and_full_batches_wait_in_order, Fixture) {
    auto snap = std::make_shared<raft::Snapshot>();
    snap->meta.index = 300;
    snap->data = std::make_shared<const std::string>(1000, 's');
    caf::anon_send(storage, snapshot_atom::value, SnapshotPtr(snap));
    drain();
    BOOST_TEST(heard->full_now());

    // The snapshot waits for room; the log goes on.
    caf::anon_send(storage, persist_atom::value, std::uint64_t{1}, batch(301));
    drain();
    BOOST_TEST(heard->persisted == std::vector<std::uint64_t>{1});
    BOOST_TEST(store->written == std::vector<raft::Index>{301});

    // Now batches do not fit either: they wait, and later ones wait behind them.
    store->batches_fit = false;
    caf::anon_send(storage, persist_atom::value, std::uint64_t{2}, batch(302));
    drain();
    caf::anon_send(storage, persist_atom::value, std::uint64_t{3}, batch(303));
    drain();
    BOOST_TEST(heard->persisted.size() == 1u);
    BOOST_TEST(store->written.size() == 1u);

    // Room for the batches, not yet for the snapshot: the retry writes them, in order,
    // and the node stays out of room until the snapshot is stored.
    store->batches_fit = true;
    caf::anon_send(storage, retry_atom::value);
    drain();
    BOOST_TEST(heard->persisted == (std::vector<std::uint64_t>{1, 3}));
    BOOST_TEST(store->written == (std::vector<raft::Index>{301, 302, 303}));
    BOOST_TEST(heard->full_now());
    BOOST_TEST(!heard->ever_recovered());

    store->snapshot_fits = true;
    caf::anon_send(storage, retry_atom::value);
    drain();
    BOOST_TEST(!heard->full_now());
}
