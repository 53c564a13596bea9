// The applier over the state store: one store batch per applied batch, LMDB alike with
// memory, a restart that rebuilds the tables from the snapshot, and a store that fails
// (the replica stops) or a snapshot that is bad (the tables stay as they were).
#include <boost/test/unit_test.hpp>

#include "runtime/crypto/sha256.hpp"
#include "runtime/node/applier.hpp"
#include "runtime/node/state_resume.hpp"
#include "runtime/raft/capnp_io.hpp"
#include "runtime/state/state_snapshot.hpp"
#include "runtime/storage/state_store_lmdb.hpp"
#include "runtime/storage/state_store_memory.hpp"
#include "tests/common/temp_dir.hpp"

using namespace raftor;
using namespace raftor::node;

namespace {

raft::Entry put_entry(raft::Index index, std::string key, std::string value) {
    return raft::Entry{1, index, raft::EntryType::normal,
                       state::encode_command(state::KvCommand{
                           state::KvCommand::Op::put, {}, std::move(key), std::move(value), std::nullopt})};
}
raft::Entry del_entry(raft::Index index, std::string key) {
    return raft::Entry{
        1, index, raft::EntryType::normal,
        state::encode_command(state::KvCommand{state::KvCommand::Op::del, {}, std::move(key), {}, std::nullopt})};
}

// Entries [from, to]: puts over 40 keys (every seventh a long one), every fifth a delete.
std::vector<raft::Entry> entries(raft::Index from, raft::Index to, const std::string& tag = "k") {
    std::vector<raft::Entry> out;
    for (raft::Index i = from; i <= to; ++i) {
        std::string key = tag + std::to_string(i % 40);
        if (i % 7 == 0) key += std::string(500, 'L');
        out.push_back(i % 5 == 0 ? del_entry(i, key) : put_entry(i, key, std::string(i % 97, 'v') + std::to_string(i)));
    }
    return out;
}

std::shared_ptr<storage::StateStore> lmdb_store(const std::string& dir) {
    storage::Status st;
    std::shared_ptr<storage::StateStore> s = storage::LmdbStateStore::open(dir, std::size_t{1} << 28, false, st);
    BOOST_REQUIRE_MESSAGE(s != nullptr, st.message);
    return s;
}

std::uint64_t applied_in(storage::StateStore& s) {
    storage::Status st;
    auto v = s.read(st);
    BOOST_REQUIRE(st.ok());
    return v->applied_index();
}

// Fails every write after `puts_left` puts, as a full disk would.
class FailingStore final : public storage::StateStore {
public:
    explicit FailingStore(std::size_t puts_left) : left_(puts_left) {}
    std::unique_ptr<storage::StateRead> read(storage::Status& s) override { return inner_.read(s); }
    std::unique_ptr<storage::StateWrite> write(storage::Status& s) override {
        auto w = inner_.write(s);
        return w ? std::make_unique<Write>(std::move(w), left_) : nullptr;
    }
    storage::Status commit(std::unique_ptr<storage::StateWrite> w, std::uint64_t applied) override {
        return inner_.commit(std::move(static_cast<Write&>(*w).inner), applied);
    }
    storage::Status reserve(std::uint64_t bytes) override { return inner_.reserve(bytes); }

private:
    struct Write final : storage::StateWrite {
        Write(std::unique_ptr<storage::StateWrite> w, std::size_t& left) : inner(std::move(w)), left_(left) {}
        storage::Status get(storage::TableId t, std::string_view k,
                            std::optional<std::string_view>& out) const override {
            return inner->get(t, k, out);
        }
        storage::Status scan(storage::TableId t, std::string_view f, std::string_view to,
                             const storage::ScanFn& fn) const override {
            return inner->scan(t, f, to, fn);
        }
        std::uint64_t applied_index() const override { return inner->applied_index(); }
        storage::Status put(storage::TableId t, std::string_view k, std::string_view v) override {
            if (left_ == 0) return {storage::Errc::map_full, "no room left (the test's full disk)"};
            --left_;
            return inner->put(t, k, v);
        }
        storage::Status del(storage::TableId t, std::string_view k) override { return inner->del(t, k); }
        storage::Status clear() override { return inner->clear(); }
        std::unique_ptr<storage::StateWrite> inner;
        std::size_t& left_;
    };
    storage::MemoryStateStore inner_;
    std::size_t left_;
};

// Counts commits, and has room for `reserves_left` more transactions (unset: always).
class RoomStore final : public storage::StateStore {
public:
    std::unique_ptr<storage::StateRead> read(storage::Status& s) override { return inner_.read(s); }
    std::unique_ptr<storage::StateWrite> write(storage::Status& s) override { return inner_.write(s); }
    storage::Status commit(std::unique_ptr<storage::StateWrite> w, std::uint64_t applied) override {
        ++commits;
        return inner_.commit(std::move(w), applied);
    }
    storage::Status reserve(std::uint64_t bytes) override {
        if (reserves_left) {
            if (*reserves_left == 0) return {storage::Errc::map_full, "no room (the test's full disk)"};
            --*reserves_left;
        }
        return inner_.reserve(bytes);
    }
    std::size_t commits = 0;
    std::optional<std::size_t> reserves_left;

private:
    storage::MemoryStateStore inner_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(applier_store)

BOOST_AUTO_TEST_CASE(the_state_applies_into_lmdb_as_into_memory) {
    testing::TempDir dir;
    auto disk_store = lmdb_store(dir.str());
    Applier memory(Options{}, 0, nullptr);
    Applier disk(Options{}, 0, nullptr, disk_store);
    for (raft::Index from = 1; from <= 1000; from += 25) {
        memory.apply(entries(from, from + 24));
        disk.apply(entries(from, from + 24));
        // One commit per batch, with the index it applied through.
        BOOST_TEST(applied_in(*disk_store) == from + 24);
    }
    BOOST_TEST(disk.kv().revision() == memory.kv().revision());
    BOOST_TEST(disk.kv().size() == memory.kv().size());
    BOOST_TEST(disk.kv().size() > 30u);
    auto a = memory.snapshot_now(), b = disk.snapshot_now();
    BOOST_REQUIRE(a && b);
    BOOST_TEST(*a->data == *b->data);
    // What a read asks reaches the store's table.
    BOOST_TEST(disk.kv().get("k1")->value == memory.kv().get("k1")->value);
    storage::Status st;
    auto view = disk_store->read(st);
    std::optional<std::string_view> row;
    BOOST_REQUIRE(view->get(state::tables::kv, "k1", row).ok());
    BOOST_TEST(row.has_value());
}

BOOST_AUTO_TEST_CASE(a_restart_rebuilds_the_tables_from_the_snapshot_and_the_log_again) {
    testing::TempDir dir;
    auto store = lmdb_store(dir.str());
    std::optional<SnapshotDue> at100;
    std::string at150;
    {
        Applier a(Options{}, 0, nullptr, store);
        a.apply(entries(1, 100));
        at100 = a.snapshot_now();
        a.apply(entries(101, 150, "late"));
        at150 = *a.snapshot_now()->data;
        BOOST_TEST(applied_in(*store) == 150u);
        BOOST_TEST(a.kv().get("late1").has_value());
    }
    // The store held index 150; the node restarts from its snapshot at 100 and applies
    // the log after it again, into tables rebuilt from that snapshot.
    Applier b(Options{}, at100->index, at100->data, store);
    BOOST_TEST(applied_in(*store) == 100u);
    BOOST_TEST(!b.kv().get("late1").has_value());
    BOOST_TEST(b.kv().get("k1").has_value());
    b.apply(entries(101, 150, "late"));
    BOOST_TEST(*b.snapshot_now()->data == at150);

    // Without a snapshot, nothing from before is kept.
    Applier c(Options{}, 0, nullptr, store);
    BOOST_TEST(applied_in(*store) == 0u);
    BOOST_TEST(c.kv().size() == 0u);
    BOOST_TEST(!c.kv().get("k1").has_value());
}

BOOST_AUTO_TEST_CASE(a_store_that_fails_stops_the_apply_and_says_why) {
    auto store = std::make_shared<FailingStore>(30);
    Applier app(Options{}, 0, nullptr, store);
    app.apply(entries(1, 10));  // 18 puts: a row and the figures per put, the figures per delete
    BOOST_TEST(applied_in(*store) == 10u);
    BOOST_CHECK_EXCEPTION(app.apply(entries(11, 20)), state::StateDbError, [](const state::StateDbError& e) {
        return std::string(e.what()).find("the test's full disk") != std::string::npos &&
               std::string(e.what()).find("storage full") != std::string::npos;
    });
    // Nothing of the failed batch was committed.
    BOOST_TEST(applied_in(*store) == 10u);
}

BOOST_AUTO_TEST_CASE(a_batch_commits_in_bounded_transactions_and_waits_between_them_for_room) {
    const auto all = entries(1, 100);
    Applier whole(Options{}, 0, nullptr);
    BOOST_TEST(whole.apply(all) == 100u);

    Options opts;
    opts.batch_entries_max = 10;
    auto store = std::make_shared<RoomStore>();
    Applier a(opts, 0, nullptr, store);
    const std::size_t at_start = store->commits;
    a.await(7, 35, 1);
    store->reserves_left = 3;
    // Room for three transactions of ten entries: the rest waits, none half applied.
    BOOST_TEST(a.apply(all) == 30u);
    BOOST_TEST(a.applied() == 30u);
    BOOST_TEST(applied_in(*store) == 30u);
    BOOST_TEST(store->commits - at_start == 3u);
    BOOST_TEST(a.waiting_for_room().value_or("") == "no room (the test's full disk)");
    BOOST_TEST(a.pending_writes() == 1u);  // its entry has not applied
    BOOST_TEST(a.apply(all, 30) == 0u);
    // Room again: it goes on from where it stopped, to the state applied whole.
    store->reserves_left.reset();
    BOOST_TEST(a.apply(all, 30) == 70u);
    BOOST_TEST(!a.waiting_for_room().has_value());
    BOOST_TEST(a.applied() == 100u);
    BOOST_TEST(a.pending_writes() == 0u);
    BOOST_TEST(a.kv().revision() == whole.kv().revision());
    BOOST_TEST(a.kv().size() == whole.kv().size());
    for (raft::Index i = 1; i <= 100; ++i) {
        std::string key = "k" + std::to_string(i % 40);
        if (i % 7 == 0) key += std::string(500, 'L');
        const auto x = a.kv().get(key), y = whole.kv().get(key);
        BOOST_TEST(x.has_value() == y.has_value());
        if (x && y) BOOST_TEST(x->value == y->value);
    }
}

BOOST_AUTO_TEST_CASE(a_transaction_ends_once_it_has_written_its_bytes) {
    Options opts;
    opts.batch_bytes_max = 1;  // every entry writes more: one transaction each
    auto store = std::make_shared<RoomStore>();
    Applier a(opts, 0, nullptr, store);
    const std::size_t at_start = store->commits;
    BOOST_TEST(a.apply(entries(1, 50)) == 50u);
    BOOST_TEST(store->commits - at_start == 50u);
    Applier b(Options{}, 0, nullptr, store);
    const std::size_t before = store->commits;
    BOOST_TEST(b.apply(entries(1, 50)) == 50u);
    BOOST_TEST(store->commits - before == 1u);
}

BOOST_AUTO_TEST_CASE(a_snapshot_or_a_rebuild_waits_for_room_for_it) {
    auto memory = std::make_shared<storage::MemoryStateStore>();
    Applier a(Options{}, 0, nullptr, memory);
    BOOST_TEST(a.apply(entries(1, 20)) == 20u);
    const std::string data = state::encode_state(a.kv(), a.ops(), a.members());
    memory->set_room(std::uint64_t{1} << 20);
    BOOST_TEST(!a.room_to_restore(data.size()));
    BOOST_TEST(a.waiting_for_room().value_or("").find("bytes free") != std::string::npos);
    BOOST_TEST(a.apply(entries(21, 21)) == 0u);
    BOOST_CHECK_EXCEPTION((void)Applier(Options{}, 20, std::make_shared<const std::string>(data), memory),
                          std::runtime_error, [](const std::runtime_error& e) {
                              return std::string(e.what()).find("no room to rebuild the state") != std::string::npos;
                          });
    memory->set_room(std::nullopt);
    BOOST_TEST(a.room_to_restore(data.size()));
    BOOST_TEST(a.apply(entries(21, 21)) == 1u);
}

BOOST_AUTO_TEST_CASE(a_bad_snapshot_leaves_the_tables_as_they_were) {
    testing::TempDir dir;
    auto store = lmdb_store(dir.str());
    Applier a(Options{}, 0, nullptr, store);
    a.apply(entries(1, 10));
    const std::string before = *a.snapshot_now()->data;

    // A snapshot whose second key repeats its first: found after the first is written.
    Applier other(Options{}, 0, nullptr);
    other.apply(entries(1, 50, "x"));
    const std::string good = *other.snapshot_now()->data;
    std::string error;
    capnp::MallocMessageBuilder mb;
    raft::detail::decode_root<schema::StateSnapshot>(good, error, "state snapshot",
                                                     [&](schema::StateSnapshot::Reader r) -> std::optional<bool> {
                                                         mb.setRoot(r);
                                                         return true;
                                                     });
    auto kv = mb.getRoot<schema::StateSnapshot>().getKv();
    BOOST_REQUIRE(kv.size() > 2u);
    const std::string first = kv[0].getKey().cStr();
    kv[1].setKey(first);
    const std::string bad = raft::detail::to_bytes(mb);

    raft::SnapshotMeta meta;
    meta.index = 50;
    auto e = a.restore(meta, bad);
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->find("listed twice") != std::string::npos);
    BOOST_TEST(a.applied() == 10u);
    BOOST_TEST(applied_in(*store) == 10u);
    BOOST_TEST(state::encode_state(a.kv(), a.ops(), a.members()) == before);
    BOOST_TEST(!a.kv().get("x1").has_value());

    // The good one restores, and the applier goes on from it.
    BOOST_REQUIRE(!a.restore(meta, good));
    BOOST_TEST(applied_in(*store) == 50u);
    BOOST_TEST(a.kv().get("x1").has_value());
    BOOST_TEST(!a.kv().get("k1").has_value());
}

BOOST_AUTO_TEST_CASE(finished_executions_and_their_receipts_live_in_the_store) {
    testing::TempDir dir;
    auto store = lmdb_store(dir.str());
    Applier disk(Options{}, 0, nullptr, store);
    Applier memory(Options{}, 0, nullptr);
    state::OperationSpec spec;
    spec.id = "nightly";
    spec.name = "nightly";
    spec.handler.kind = state::Handler::Kind::noop;
    raft::Index index = 0;
    std::int64_t now = 1'700'000'000'000;
    auto entry = [&](state::OpsBody b) {
        return raft::Entry{1, ++index, raft::EntryType::normal,
                           state::encode_ops_command(state::OpsCommand{{}, now += 10, std::move(b)})};
    };
    auto both = [&](std::vector<raft::Entry> batch) {
        disk.apply(batch);
        memory.apply(batch);
    };
    both({entry(state::PutOperation{spec, true})});
    for (int round = 0; round < 20; ++round) {
        std::vector<raft::Entry> batch;
        for (int i = 0; i < 5; ++i) batch.push_back(entry(state::ExecuteOperation{"nightly", ""}));
        both(batch);
        batch.clear();
        std::vector<state::StartExecution> starts;
        std::vector<state::FinishExecution> finishes;
        for (const auto& e : disk.ops().active()) {
            starts.push_back({e.first, 1, "node-1", now});
            finishes.push_back({e.first, 1, state::ExecStatus::success, 0, now + 5, 5, "ok", crypto::sha256("ok")});
        }
        batch.push_back(entry(state::StartBatch{starts}));
        batch.push_back(entry(state::FinishBatch{finishes}));
        both(batch);
    }
    BOOST_TEST(disk.ops().history_size() == 100u);
    BOOST_TEST((disk.ops().chain_head() == memory.ops().chain_head()));
    BOOST_TEST(disk.ops().history("nightly", 10).size() == 10u);
    BOOST_TEST(disk.ops().history("nightly", 10).back().id == memory.ops().history("nightly", 10).back().id);
    BOOST_TEST((disk.ops().execution(42)->receipt_hash == memory.ops().execution(42)->receipt_hash));
    BOOST_TEST(*disk.snapshot_now()->data == *memory.snapshot_now()->data);
    // The receipts are rows of the store, committed with the batch that made them.
    storage::Status st;
    auto view = store->read(st);
    std::size_t rows = 0;
    BOOST_REQUIRE(view->scan(state::tables::history, {}, {},
                             [&](std::string_view, std::string_view) {
                                 ++rows;
                                 return true;
                             })
                      .ok());
    BOOST_TEST(rows == 100u);
    BOOST_TEST(view->applied_index() == index);
}

// A store a node may trust is opened as it stands: nothing rebuilt, applying goes on
// after its index, and the state is the one a replica that never stopped has.
BOOST_AUTO_TEST_CASE(a_store_it_may_trust_is_opened_as_it_stands) {
    testing::TempDir dir;
    auto store = lmdb_store(dir.str());
    Options opts;
    opts.boot_id = "boot-A";
    state::OperationSpec spec;
    spec.id = "nightly";
    spec.name = "nightly";
    spec.handler.kind = state::Handler::Kind::noop;
    std::vector<raft::Entry> log = entries(1, 60);
    std::int64_t now = 1'700'000'000'000;
    auto ops_entry = [&](state::OpsBody b) {
        const raft::Index i = log.size() + 1;
        log.push_back(raft::Entry{1, i, raft::EntryType::normal,
                                  state::encode_ops_command(state::OpsCommand{{7, i}, now += 10, std::move(b)})});
    };
    ops_entry(state::PutOperation{spec, true});
    for (int i = 0; i < 5; ++i) ops_entry(state::ExecuteOperation{"nightly", ""});
    ops_entry(state::StartBatch{{{63, 1, "node-1", now}}});
    ops_entry(state::FinishBatch{{{63, 1, state::ExecStatus::success, 0, now + 5, 5, "ok", crypto::sha256("ok")}}});
    for (auto& e : entries(log.size() + 1, log.size() + 40, "late")) log.push_back(e);
    const raft::Index last = log.size();

    Applier whole(opts, 0, nullptr);
    BOOST_TEST(whole.apply(log) == last);
    std::shared_ptr<const std::string> at60;
    {
        Applier a(opts, 0, nullptr, store);
        a.apply({log.begin(), log.begin() + 60});
        at60 = a.snapshot_now()->data;
        a.apply(log, 60);
        BOOST_TEST(applied_in(*store) == last);
    }
    // Trusted on the boot that wrote it, or after a sync; not after a reboot without one,
    // nor when the log cannot go on from its index.
    BOOST_TEST(can_resume(*store, false, "boot-A", 60, last).resume);
    BOOST_TEST(can_resume(*store, false, "boot-A", 60, last).applied == last);
    BOOST_TEST(can_resume(*store, true, "boot-B", 60, last).resume);
    const auto rebooted = can_resume(*store, false, "boot-B", 60, last);
    BOOST_TEST(!rebooted.resume);
    BOOST_TEST(rebooted.why.find("not synced") != std::string::npos, rebooted.why);
    BOOST_TEST(!can_resume(*store, false, "", 60, last).resume);
    BOOST_TEST(!can_resume(*store, true, "boot-A", last + 1, last + 5).resume);  // a newer snapshot
    BOOST_TEST(!can_resume(*store, true, "boot-A", 60, last - 1).resume);        // a shorter log
    testing::TempDir empty_dir;
    auto empty = lmdb_store(empty_dir.str());
    BOOST_TEST(can_resume(*empty, true, "boot-A", 0, 0).why.find("new") != std::string::npos);
    {
        // A store of the release before: tables, but no format row. Rebuilt, not trusted.
        state::StateDb older(empty);
        older.begin();
        older.put(state::tables::kv, "k", std::string(16, '\0'));
        older.commit(5);
    }
    const auto old = can_resume(*empty, true, "boot-A", 0, 10);
    BOOST_TEST(!old.resume);
    BOOST_TEST(old.why.find("from a release before") != std::string::npos, old.why);

    Applier b(opts, 60, at60, store, true);
    BOOST_TEST(b.applied() == last);
    BOOST_TEST(*b.snapshot_now()->data == *whole.snapshot_now()->data);
    BOOST_TEST(b.kv().get("late" + std::to_string(last % 40)).has_value());
    // What comes after applies as on a replica that never stopped; the client's stale
    // request is refused alike, from the session the store kept.
    ops_entry(state::ExecuteOperation{"nightly", ""});
    log.back() =
        raft::Entry{1, last + 1, raft::EntryType::normal,
                    state::encode_ops_command(state::OpsCommand{{7, 61}, now, state::ExecuteOperation{"x", ""}})};
    for (auto& e : entries(last + 2, last + 30, "after")) log.push_back(e);
    BOOST_TEST(b.apply(log, last) == 30u);
    BOOST_TEST(whole.apply(log, last) == 30u);
    BOOST_TEST(*b.snapshot_now()->data == *whole.snapshot_now()->data);
}

BOOST_AUTO_TEST_SUITE_END()
