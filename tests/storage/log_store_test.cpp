#include "runtime/storage/log_store.hpp"

#include <boost/test/unit_test.hpp>

#include "runtime/common/crc32c.hpp"
#include "runtime/raft/codec.hpp"
#include "runtime/raft/conf_change_codec.hpp"
#include "tests/common/temp_dir.hpp"
#include "tests/storage/wal_files.hpp"

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
        BOOST_REQUIRE(s->flush().ok());  // the commit index, as a graceful stop does
    }
    auto s = open_store(d.str());
    Loaded l;
    BOOST_REQUIRE(s->load(l).ok());
    BOOST_TEST((l.hard_state == raft::HardState{3, 2, 5}));
    BOOST_TEST((l.entries == entries(1, 10, 3)));
    BOOST_TEST(s->first_index() == 1u);
    BOOST_TEST(s->last_index() == 10u);
}

BOOST_AUTO_TEST_CASE(a_restart_loads_only_the_newest_payloads_within_its_budget) {
    testing::TempDir d;
    Status st;
    auto s = LogStore::open(Options{d.str(), std::size_t{64} << 20, true, 1 << 20}, st);  // 1 MiB segments
    BOOST_REQUIRE_MESSAGE(s != nullptr, st.message);
    auto all = entries(1, 1200, 2, 8000);  // about 9.6 MB, read in 4 MiB chunks
    all[9].type = EntryType::conf_change;  // keeps its payload whatever its age
    all[9].payload = raft::encode_conf_change(
        raft::ConfChange{.type = raft::ConfChangeType::add_voter, .node = 2, .result = raft::ConfState{{1, 2}, {}}});
    BOOST_REQUIRE(s->write(WriteBatch{raft::HardState{2, 1, 1200}, all, std::nullopt}).ok());

    Loaded whole;
    const Status loaded = s->load(whole);
    BOOST_REQUIRE_MESSAGE(loaded.ok(), loaded.message);
    BOOST_TEST(whole.cached_from == 0u);
    BOOST_TEST((whole.entries == all));

    Loaded bounded;
    BOOST_REQUIRE(s->load(bounded, 100'000).ok());
    BOOST_REQUIRE(bounded.entries.size() == all.size());
    BOOST_TEST(bounded.cached_from == 1189u);  // 12 entries of 8,024 bytes fit in 100,000
    std::size_t kept = 0;
    for (std::size_t k = 0; k < all.size(); ++k) {
        const Entry& e = bounded.entries[k];
        BOOST_TEST_REQUIRE((e.index == all[k].index && e.term == all[k].term && e.type == all[k].type));
        if (e.index >= bounded.cached_from || e.type == EntryType::conf_change) {
            BOOST_TEST((e == all[k]));
            if (e.index >= bounded.cached_from) kept += e.size_bytes();
        } else {
            BOOST_TEST(e.payload.size() == 0u);
        }
    }
    BOOST_TEST(kept <= 100'000u);
}

BOOST_AUTO_TEST_CASE(entries_are_read_back_in_bounded_batches_across_segments) {
    testing::TempDir d;
    Status st;
    auto s = LogStore::open(Options{d.str(), std::size_t{64} << 20, true, 1 << 20}, st);  // 1 MiB segments
    BOOST_REQUIRE_MESSAGE(s != nullptr, st.message);
    const auto all = entries(1, 400, 2, 8000);  // about 3 MiB: several segments
    BOOST_REQUIRE(s->write(WriteBatch{raft::HardState{2, 1, 0}, all, std::nullopt}).ok());
    BOOST_REQUIRE(s->wal_segments() > 2u);

    std::vector<Entry> out;
    BOOST_REQUIRE(s->read_entries(100, 1000, 40'000, out).ok());  // 5 entries of 8024 bytes
    BOOST_REQUIRE(out.size() == 5u);
    BOOST_TEST((out == std::vector<Entry>(all.begin() + 99, all.begin() + 104)));
    out.clear();
    BOOST_REQUIRE(s->read_entries(120, 200, SIZE_MAX, out).ok());  // crosses segments, by count
    BOOST_REQUIRE(out.size() == 200u);
    BOOST_TEST((out == std::vector<Entry>(all.begin() + 119, all.begin() + 319)));
    out.clear();
    BOOST_REQUIRE(s->read_entries(399, 1, 1, out).ok());  // one at least, whatever the bytes
    BOOST_TEST(out.size() == 1u);
    out.clear();
    BOOST_REQUIRE(s->read_entries(390, 100, SIZE_MAX, out).ok());  // to the end
    BOOST_TEST(out.size() == 11u);

    // Outside the stored log: an error that names the range, nothing read.
    out.clear();
    const Status past = s->read_entries(401, 10, SIZE_MAX, out);
    BOOST_TEST(!past.ok());
    BOOST_TEST(past.message.find("401") != std::string::npos);
    BOOST_TEST(past.message.find("[1, 400]") != std::string::npos);
    BOOST_TEST(out.empty());
    BOOST_TEST(!s->read_entries(0, 10, SIZE_MAX, out).ok());
}

BOOST_AUTO_TEST_CASE(the_commit_index_waits_for_an_lmdb_transaction_and_never_outruns_the_log) {
    testing::TempDir d;
    auto reload = [&](LogStore& s) {
        Loaded l;
        BOOST_REQUIRE(s.load(l).ok());
        return l.hard_state;
    };
    {
        auto s = open_store(d.str());
        // A first term and vote: one LMDB transaction, written before the entries, so
        // its commit index cannot cover them yet.
        BOOST_REQUIRE(s->write(WriteBatch{raft::HardState{3, 2, 5}, entries(1, 10, 3), std::nullopt}).ok());
        BOOST_TEST(s->stats().transactions == 1u);
        BOOST_TEST(s->wal_stats().syncs == 1u);
        BOOST_TEST((reload(*s) == raft::HardState{3, 2, 0}));
        const auto commits = s->stats().commits;
        // Commit index only: volatile in Raft, so nothing is written.
        BOOST_REQUIRE(s->write(WriteBatch{raft::HardState{3, 2, 7}, {}, std::nullopt}).ok());
        BOOST_REQUIRE(s->write(WriteBatch{raft::HardState{3, 2, 9}, {}, std::nullopt}).ok());
        BOOST_TEST(s->stats().commits == commits);
        BOOST_TEST(s->stats().deferred == 2u);
        // Entries go to the WAL alone; the commit index still waits.
        BOOST_REQUIRE(s->write(WriteBatch{raft::HardState{3, 2, 9}, entries(11, 12, 3), std::nullopt}).ok());
        BOOST_TEST(s->stats().commits == commits + 1);
        BOOST_TEST(s->stats().transactions == 1u);
        BOOST_TEST((reload(*s) == raft::HardState{3, 2, 0}));
        // A new term or vote is never deferred, and carries the commit index with it.
        BOOST_REQUIRE(s->write(WriteBatch{raft::HardState{4, 0, 9}, {}, std::nullopt}).ok());
        BOOST_TEST(s->stats().transactions == 2u);
        BOOST_TEST((reload(*s) == raft::HardState{4, 0, 9}));
        BOOST_REQUIRE(s->write(WriteBatch{raft::HardState{4, 3, 9}, {}, std::nullopt}).ok());
        BOOST_TEST(s->stats().transactions == 3u);
        BOOST_TEST((reload(*s) == raft::HardState{4, 3, 9}));
        // flush() writes a deferred commit index (a graceful stop).
        BOOST_REQUIRE(s->write(WriteBatch{raft::HardState{4, 3, 12}, {}, std::nullopt}).ok());
        BOOST_TEST((reload(*s) == raft::HardState{4, 3, 9}));
        BOOST_REQUIRE(s->flush().ok());
        BOOST_TEST((reload(*s) == raft::HardState{4, 3, 12}));
        BOOST_TEST(s->stats().transactions == 4u);
        BOOST_REQUIRE(s->flush().ok());  // nothing deferred: nothing written
        BOOST_TEST(s->stats().transactions == 4u);
    }
    // A reopened store knows what is durable: an unchanged hard state writes nothing.
    auto s = open_store(d.str());
    BOOST_REQUIRE(s->write(WriteBatch{raft::HardState{4, 3, 12}, {}, std::nullopt}).ok());
    BOOST_TEST(s->stats().commits == 0u);
    BOOST_TEST(s->stats().transactions == 0u);
}

BOOST_AUTO_TEST_CASE(group_commit_is_one_fsync_for_many_batches) {
    testing::TempDir d;
    auto s = open_store(d.str());
    std::vector<WriteBatch> batches;
    for (raft::Index i = 1; i <= 100; i += 10) batches.push_back(WriteBatch{std::nullopt, entries(i, i + 9, 1), {}});
    batches.back().hard_state = raft::HardState{1, 1, 100};
    std::vector<const WriteBatch*> queued;
    for (const auto& b : batches) queued.push_back(&b);
    BOOST_REQUIRE(s->write(queued).ok());
    BOOST_TEST(s->stats().commits == 1u);
    BOOST_TEST(s->wal_stats().syncs == 1u);
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
    // The replaced entries 8..10 are still in the file past the cut; they stay dead.
    s.reset();
    s = open_store(d.str());
    BOOST_TEST(s->last_index() == 7u);
    BOOST_REQUIRE(s->load(l).ok());
    BOOST_TEST(l.entries.size() == 7u);
    BOOST_TEST(l.entries.back().term == 2u);
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
        BOOST_REQUIRE(s->write(WriteBatch{std::nullopt, entries(11, 12, 1), {}}).ok());
    }
    // Flip one bit of entry 7's payload (16 x 'h') behind the store's back.
    testing::flip_in_file(testing::only_segment(d.path / "wal"), std::string(16, 'h'));
    Status st;
    auto s = LogStore::open(Options{d.str(), std::size_t{64} << 20, true}, st);
    BOOST_TEST(s == nullptr);
    BOOST_TEST((st.code == Errc::corrupt));
    BOOST_TEST(st.message == "log entry 7: checksum mismatch");
}

BOOST_AUTO_TEST_CASE(a_full_map_is_an_error_the_store_survives) {
    testing::TempDir d;
    auto s = open_store(d.str(), std::size_t{1} << 20);  // 1 MiB: snapshots are what fills LMDB now
    BOOST_REQUIRE(s->write(WriteBatch{raft::HardState{1, 1, 0}, entries(1, 20, 1), {}}).ok());
    const std::string small = "state at 5", big(2 << 20, 'x');
    raft::SnapshotMeta meta{5, 1, raft::ConfState{{1, 2, 3}, {}}, crc32c(small), small.size()};
    BOOST_REQUIRE(s->save_snapshot(meta, small).ok());
    raft::SnapshotMeta big_meta{10, 1, raft::ConfState{{1, 2, 3}, {}}, crc32c(big), big.size()};
    auto st = s->save_snapshot(big_meta, big);
    BOOST_TEST((st.code == Errc::map_full));
    BOOST_TEST(st.message.find("MDB_MAP_FULL") != std::string::npos);
    BOOST_TEST(s->stats().map_full_errors == 1u);
    BOOST_TEST(s->first_index() == 6u);  // the failed snapshot compacted nothing
    Loaded l;
    BOOST_REQUIRE(s->load(l).ok());  // still readable
    BOOST_TEST(l.snapshot.index == 5u);
    BOOST_TEST(l.entries.size() == 15u);
    // Entries still go to the WAL, and more space, no restart, takes the snapshot.
    BOOST_REQUIRE(s->write(WriteBatch{std::nullopt, entries(21, 22, 1), {}}).ok());
    BOOST_REQUIRE(s->set_map_size(std::size_t{8} << 20).ok());
    BOOST_REQUIRE(s->save_snapshot(big_meta, big).ok());
    BOOST_REQUIRE(s->load(l).ok());
    BOOST_TEST(l.snapshot.index == 10u);
    BOOST_TEST(l.entries.size() == 12u);
}

BOOST_AUTO_TEST_CASE(entries_a_leader_snapshot_replaced_are_dropped_after_a_crash_mid_install) {
    testing::TempDir d;
    namespace fs = std::filesystem;
    {
        auto s = open_store(d.str());
        BOOST_REQUIRE(s->write(WriteBatch{raft::HardState{1, 1, 0}, entries(1, 30, 1), {}}).ok());
    }
    // Keep the WAL as it was, install a snapshot, then put the old WAL back: as if
    // the node crashed after the snapshot's transaction but before the WAL reset.
    fs::copy(d.path / "wal", d.path / "wal.old", fs::copy_options::recursive);
    {
        auto s = open_store(d.str());
        const std::string data = "leader state at 50";
        WriteBatch b;
        b.snapshot =
            raft::Snapshot{raft::SnapshotMeta{50, 4, raft::ConfState{{1, 2, 3}, {}}, crc32c(data), data.size()},
                           std::make_shared<const std::string>(data)};
        b.hard_state = raft::HardState{4, 0, 50};
        BOOST_REQUIRE(s->write(b).ok());
    }
    fs::remove_all(d.path / "wal");
    fs::rename(d.path / "wal.old", d.path / "wal");
    auto s = open_store(d.str());
    BOOST_TEST(s->repaired().find("discarded log entries 1..30") != std::string::npos, s->repaired());
    BOOST_TEST(s->last_index() == 0u);
    Loaded l;
    BOOST_REQUIRE(s->load(l).ok());
    BOOST_TEST(l.snapshot.index == 50u);
    BOOST_TEST(l.entries.empty());
    BOOST_TEST((l.hard_state == raft::HardState{4, 0, 50}));
    BOOST_REQUIRE(s->write(WriteBatch{std::nullopt, entries(51, 52, 4), {}}).ok());
    BOOST_REQUIRE(s->load(l).ok());
    BOOST_TEST(l.entries.size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_format_1_store_moves_its_entries_to_the_wal) {
    testing::TempDir d;
    {
        // Format 1 as it was written: entries sealed (crc32c LE + entry) in LMDB's "log" table.
        MDB_env* env = nullptr;
        BOOST_REQUIRE(mdb_env_create(&env) == 0);
        BOOST_REQUIRE(mdb_env_set_maxdbs(env, 8) == 0);
        BOOST_REQUIRE(mdb_env_open(env, d.str().c_str(), 0, 0600) == 0);
        MDB_txn* txn = nullptr;
        BOOST_REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
        MDB_dbi meta, log;
        BOOST_REQUIRE(mdb_dbi_open(txn, "meta", MDB_CREATE, &meta) == 0);
        BOOST_REQUIRE(mdb_dbi_open(txn, "log", MDB_CREATE, &log) == 0);
        auto put = [&](MDB_dbi db, std::string k, std::string v) {
            MDB_val kv{k.size(), k.data()}, vv{v.size(), v.data()};
            BOOST_REQUIRE(mdb_put(txn, db, &kv, &vv, 0) == 0);
        };
        put(meta, "format", "raftor-log-1");
        for (const auto& e : entries(1, 5, 2)) {
            const std::string body = raft::encode_entry(e);
            const std::uint32_t c = crc32c(body);
            std::string rec(4, '\0'), key(8, '\0');
            for (int b = 0; b < 4; ++b) rec[static_cast<std::size_t>(b)] = static_cast<char>((c >> (8 * b)) & 0xFF);
            key[7] = static_cast<char>(e.index);
            put(log, key, rec + body);
        }
        BOOST_REQUIRE(mdb_txn_commit(txn) == 0);
        mdb_env_close(env);
    }
    {
        auto s = open_store(d.str());
        BOOST_TEST(s->repaired() == "moved 5 log entries from LMDB to the WAL (format 1 to 2)");
        Loaded l;
        BOOST_REQUIRE(s->load(l).ok());
        BOOST_TEST((l.entries == entries(1, 5, 2)));
    }
    auto s = open_store(d.str());  // once only
    BOOST_TEST(s->repaired().empty());
    BOOST_TEST(s->last_index() == 5u);
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
