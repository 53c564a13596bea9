#include "runtime/storage/log_store.hpp"

#include <boost/test/unit_test.hpp>

#include "runtime/common/crc32c.hpp"
#include "tests/common/temp_dir.hpp"

using namespace raftor;
using namespace raftor::storage;
using raft::Entry;
using raft::EntryType;

namespace {
std::vector<Entry> entries(raft::Index from, raft::Index to, raft::Term t, std::size_t bytes = 16) {
    std::vector<Entry> out;
    for (raft::Index i = from; i <= to; ++i)
        out.push_back(Entry{t, i, EntryType::normal, std::string(bytes, static_cast<char>('a' + i % 26))});
    return out;
}

std::unique_ptr<LogStore> open_store(const std::string& dir, std::size_t map = std::size_t{64} << 20) {
    Status st;
    auto s = LogStore::open(Options{dir, map, true}, st);
    BOOST_REQUIRE_MESSAGE(s != nullptr, st.message);
    return s;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(log_store)

BOOST_AUTO_TEST_CASE(writes_survive_reopening) {
    testing::TempDir d;
    {
        auto s = open_store(d.str());
        WriteBatch b{raft::HardState{3, 2, 5}, entries(1, 10, 3), std::nullopt};
        BOOST_REQUIRE(s->write(b).ok());
        BOOST_TEST(s->last_index() == 10u);
    }
    auto s = open_store(d.str());
    Loaded l;
    BOOST_REQUIRE(s->load(l).ok());
    BOOST_TEST((l.hard_state == raft::HardState{3, 2, 5}));
    BOOST_TEST((l.entries == entries(1, 10, 3)));
    BOOST_TEST(s->first_index() == 1u);
    BOOST_TEST(s->last_index() == 10u);
}

BOOST_AUTO_TEST_CASE(a_commit_index_alone_costs_no_transaction_and_rides_with_the_next_one) {
    testing::TempDir d;
    auto reload = [&](LogStore& s) {
        Loaded l;
        BOOST_REQUIRE(s.load(l).ok());
        return l.hard_state;
    };
    {
        auto s = open_store(d.str());
        BOOST_REQUIRE(s->write(WriteBatch{raft::HardState{3, 2, 5}, entries(1, 10, 3), std::nullopt}).ok());
        const auto commits = s->stats().commits;
        // Commit index only: volatile in Raft, so no transaction.
        BOOST_REQUIRE(s->write(WriteBatch{raft::HardState{3, 2, 7}, {}, std::nullopt}).ok());
        BOOST_REQUIRE(s->write(WriteBatch{raft::HardState{3, 2, 9}, {}, std::nullopt}).ok());
        BOOST_TEST(s->stats().commits == commits);
        BOOST_TEST(s->stats().deferred == 2u);
        BOOST_TEST((reload(*s) == raft::HardState{3, 2, 5}));
        // The next transaction carries it.
        BOOST_REQUIRE(s->write(WriteBatch{std::nullopt, entries(11, 12, 3), std::nullopt}).ok());
        BOOST_TEST(s->stats().commits == commits + 1);
        BOOST_TEST((reload(*s) == raft::HardState{3, 2, 9}));
        // A new term or vote is never deferred.
        BOOST_REQUIRE(s->write(WriteBatch{raft::HardState{4, 0, 9}, {}, std::nullopt}).ok());
        BOOST_TEST(s->stats().commits == commits + 2);
        BOOST_REQUIRE(s->write(WriteBatch{raft::HardState{4, 3, 9}, {}, std::nullopt}).ok());
        BOOST_TEST(s->stats().commits == commits + 3);
        BOOST_TEST((reload(*s) == raft::HardState{4, 3, 9}));
        // flush() writes a deferred commit index (a graceful stop).
        BOOST_REQUIRE(s->write(WriteBatch{raft::HardState{4, 3, 12}, {}, std::nullopt}).ok());
        BOOST_TEST((reload(*s) == raft::HardState{4, 3, 9}));
        BOOST_REQUIRE(s->flush().ok());
        BOOST_TEST((reload(*s) == raft::HardState{4, 3, 12}));
        BOOST_REQUIRE(s->write(WriteBatch{raft::HardState{4, 3, 12}, {}, std::nullopt}).ok());  // no change
    }
    // A fresh store knows nothing of what is durable: its first hard state is written.
    auto s = open_store(d.str());
    BOOST_REQUIRE(s->write(WriteBatch{raft::HardState{4, 3, 12}, {}, std::nullopt}).ok());
    BOOST_TEST(s->stats().commits == 1u);
}

BOOST_AUTO_TEST_CASE(group_commit_is_one_transaction_for_many_batches) {
    testing::TempDir d;
    auto s = open_store(d.str());
    std::vector<WriteBatch> batches;
    for (raft::Index i = 1; i <= 100; i += 10) batches.push_back(WriteBatch{std::nullopt, entries(i, i + 9, 1), {}});
    batches.back().hard_state = raft::HardState{1, 1, 100};
    std::vector<const WriteBatch*> queued;
    for (const auto& b : batches) queued.push_back(&b);
    BOOST_REQUIRE(s->write(queued).ok());
    BOOST_TEST(s->stats().commits == 1u);
    BOOST_TEST(s->stats().entries_written == 100u);
    Loaded l;
    BOOST_REQUIRE(s->load(l).ok());
    BOOST_TEST(l.entries.size() == 100u);
}

BOOST_AUTO_TEST_CASE(a_conflicting_suffix_is_replaced) {
    testing::TempDir d;
    auto s = open_store(d.str());
    BOOST_REQUIRE(s->write(WriteBatch{std::nullopt, entries(1, 10, 1), {}}).ok());
    BOOST_REQUIRE(s->write(WriteBatch{std::nullopt, entries(6, 7, 2), {}}).ok());
    BOOST_TEST(s->last_index() == 7u);
    Loaded l;
    BOOST_REQUIRE(s->load(l).ok());
    BOOST_REQUIRE(l.entries.size() == 7u);
    BOOST_TEST(l.entries[4].term == 1u);
    BOOST_TEST(l.entries[5].term == 2u);
    // A gap is refused and changes nothing.
    auto st = s->write(WriteBatch{std::nullopt, entries(20, 21, 2), {}});
    BOOST_TEST((st.code == Errc::invalid));
    BOOST_TEST(st.message.find("gap") != std::string::npos);
    BOOST_TEST(s->last_index() == 7u);
}

BOOST_AUTO_TEST_CASE(snapshots_compact_and_replace_the_log) {
    testing::TempDir d;
    auto s = open_store(d.str());
    BOOST_REQUIRE(s->write(WriteBatch{std::nullopt, entries(1, 20, 1), {}}).ok());
    const std::string data = "state at 12";
    raft::SnapshotMeta meta{12, 1, raft::ConfState{{1, 2, 3}, {}}, crc32c(data), data.size()};
    BOOST_REQUIRE(s->save_snapshot(meta, data).ok());
    BOOST_TEST(s->first_index() == 13u);
    Loaded l;
    BOOST_REQUIRE(s->load(l).ok());
    BOOST_TEST((l.snapshot == meta));
    BOOST_TEST(*l.snapshot_data == data);
    BOOST_TEST(l.entries.front().index == 13u);
    BOOST_TEST(l.entries.size() == 8u);
    // A snapshot from a leader replaces everything.
    const std::string data2 = "leader state at 50";
    raft::SnapshotMeta meta2{50, 4, raft::ConfState{{1, 2, 3}, {}}, crc32c(data2), data2.size()};
    WriteBatch b;
    b.snapshot = raft::Snapshot{meta2, std::make_shared<const std::string>(data2)};
    b.hard_state = raft::HardState{4, 0, 50};
    BOOST_REQUIRE(s->write(b).ok());
    BOOST_REQUIRE(s->write(WriteBatch{std::nullopt, entries(51, 52, 4), {}}).ok());
    BOOST_REQUIRE(s->load(l).ok());
    BOOST_TEST(l.snapshot.index == 50u);
    BOOST_TEST(l.entries.size() == 2u);
    BOOST_TEST(l.entries.front().index == 51u);
}

BOOST_AUTO_TEST_CASE(a_corrupted_entry_is_reported_with_its_index) {
    testing::TempDir d;
    {
        auto s = open_store(d.str());
        BOOST_REQUIRE(s->write(WriteBatch{std::nullopt, entries(1, 10, 1), {}}).ok());
        // Flip one byte of entry 7 behind the store's back.
        MDB_txn* txn = nullptr;
        BOOST_REQUIRE(mdb_txn_begin(s->env(), nullptr, 0, &txn) == 0);
        MDB_dbi dbi;
        BOOST_REQUIRE(mdb_dbi_open(txn, "log", 0, &dbi) == 0);
        std::string key(8, '\0');
        key[7] = 7;
        MDB_val k{key.size(), key.data()}, v{};
        BOOST_REQUIRE(mdb_get(txn, dbi, &k, &v) == 0);
        std::string bad(static_cast<char*>(v.mv_data), v.mv_size);
        bad[bad.size() - 3] ^= 0x40;
        MDB_val nv{bad.size(), bad.data()};
        BOOST_REQUIRE(mdb_put(txn, dbi, &k, &nv, 0) == 0);
        BOOST_REQUIRE(mdb_txn_commit(txn) == 0);
    }
    auto s = open_store(d.str());
    Loaded l;
    auto st = s->load(l);
    BOOST_TEST((st.code == Errc::corrupt));
    BOOST_TEST(st.message == "log entry 7: checksum mismatch");
}

BOOST_AUTO_TEST_CASE(a_full_map_is_an_error_the_store_survives) {
    testing::TempDir d;
    auto s = open_store(d.str(), std::size_t{1} << 20);  // 1 MiB
    raft::Index next = 1;
    Status st;
    for (int i = 0; i < 1000 && st.ok(); ++i) {
        st = s->write(WriteBatch{raft::HardState{1, 1, next}, entries(next, next + 9, 1, 1000), {}});
        if (st.ok()) next += 10;
    }
    BOOST_TEST((st.code == Errc::map_full));
    BOOST_TEST(st.message.find("MDB_MAP_FULL") != std::string::npos);
    BOOST_TEST(s->stats().map_full_errors == 1u);
    const raft::Index durable = s->last_index();
    BOOST_TEST(durable == next - 1);  // the failed batch left nothing behind
    Loaded l;
    BOOST_REQUIRE(s->load(l).ok());  // still readable
    BOOST_TEST(l.entries.size() == durable);
    // More space, no restart: writes resume.
    BOOST_REQUIRE(s->set_map_size(std::size_t{8} << 20).ok());
    BOOST_TEST(s->write(WriteBatch{std::nullopt, entries(next, next + 9, 1, 1000), {}}).ok());
    BOOST_TEST(s->last_index() == next + 9);
}

BOOST_AUTO_TEST_CASE(an_unknown_format_is_refused_by_name) {
    testing::TempDir d;
    {
        auto s = open_store(d.str());
        MDB_txn* txn = nullptr;
        BOOST_REQUIRE(mdb_txn_begin(s->env(), nullptr, 0, &txn) == 0);
        MDB_dbi dbi;
        BOOST_REQUIRE(mdb_dbi_open(txn, "meta", 0, &dbi) == 0);
        std::string key = "format", value = "something-else";
        MDB_val k{key.size(), key.data()}, v{value.size(), value.data()};
        BOOST_REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
        BOOST_REQUIRE(mdb_txn_commit(txn) == 0);
    }
    Status st;
    auto s = LogStore::open(Options{d.str(), std::size_t{64} << 20, true}, st);
    BOOST_TEST(s == nullptr);
    BOOST_TEST(st.message.find("unknown storage format 'something-else'") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
