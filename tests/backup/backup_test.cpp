#define BOOST_TEST_MODULE backup
// Backups: the archive reads back what was written; a changed byte, a cut file or a
// foreign file is named; restore seeds only empty dirs and gives the new members; a
// data dir in use is refused; an offline backup applies the committed log.
#include "runtime/backup/backup.hpp"

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>

#include "runtime/backup/archive.hpp"
#include "runtime/common/crc32c.hpp"
#include "runtime/state/state_snapshot.hpp"
#include "runtime/storage/log_store.hpp"
#include "tests/common/temp_dir.hpp"

using namespace raftor;
namespace fs = std::filesystem;

namespace {

state::KvCommand put(std::string k, std::string v) {
    return state::KvCommand{state::KvCommand::Op::put, {}, std::move(k), std::move(v), std::nullopt};
}

raft::Snapshot snapshot_of(raft::Index index, const state::KvStore& kv) {
    raft::Snapshot s;
    auto data = state::encode_state(kv, state::OpsMachine{});
    s.meta.index = index;
    s.meta.term = 2;
    s.meta.conf.voters = {1, 2, 3};
    s.meta.checksum = crc32c(data);
    s.meta.size = data.size();
    s.data = std::make_shared<const std::string>(std::move(data));
    return s;
}

// A store whose state is `n` keys, in a snapshot at index n, plus `extra` committed
// entries after it (each a put of one more key).
std::unique_ptr<storage::LogStore> make_store(const std::string& dir, int n, int extra = 0) {
    storage::Status st;
    auto store = storage::LogStore::open({dir, std::size_t{1} << 26, false}, st);
    BOOST_REQUIRE_MESSAGE(store, st.message);
    state::KvStore kv;
    for (int i = 1; i <= n; ++i) kv.apply(static_cast<std::uint64_t>(i), put("k" + std::to_string(i), "v"));
    storage::WriteBatch b;
    b.hard_state = raft::HardState{2, 0, static_cast<raft::Index>(n + extra)};
    b.snapshot = snapshot_of(static_cast<raft::Index>(n), kv);
    for (int i = 1; i <= extra; ++i)
        b.entries.push_back({2, static_cast<raft::Index>(n + i), raft::EntryType::normal,
                             state::encode_command(put("x" + std::to_string(i), "w"))});
    BOOST_REQUIRE(store->write(b).ok());
    BOOST_REQUIRE(store->flush().ok());
    return store;
}

void flip_byte(const std::string& file, std::uint64_t at) {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(at));
    char c = 0;
    f.read(&c, 1);
    c ^= 0x10;
    f.seekp(static_cast<std::streamoff>(at));
    f.write(&c, 1);
}

}  // namespace

BOOST_AUTO_TEST_CASE(an_online_backup_reads_back_and_restores_with_the_new_members) {
    testing::TempDir t;
    auto store = make_store(t.str() + "/src", 50);
    backup::Manifest m;
    const std::string out = t.str() + "/b.tar";
    BOOST_TEST_REQUIRE(backup::backup_store(*store, {"c1", "node-1", 1234}, t.str(), out, m).empty());
    BOOST_TEST(m.snapshot_index == 50u);
    BOOST_TEST(m.kv_keys == 50u);
    BOOST_TEST(m.cluster_id == "c1");
    BOOST_TEST((m.voters == std::vector<std::uint64_t>{1, 2, 3}));
    std::vector<backup::TarEntry> entries;
    BOOST_TEST_REQUIRE(backup::list_tar(out, entries).empty());
    BOOST_TEST(entries.size() == 2u);
    BOOST_TEST(entries[0].name == "manifest.json");
    BOOST_TEST(entries[1].name == "data.mdb");
    // No temporary files left beside the data or the archive.
    for (const auto& e : fs::directory_iterator(t.path))
        BOOST_TEST(e.path().filename().string().find(".raftor-backup") == std::string::npos);

    backup::Manifest again;
    BOOST_TEST(backup::verify_backup(out, again).empty());
    BOOST_TEST((again == m));

    const std::vector<state::MemberInfo> members{{11, "a", "10.0.0.1:8081"}, {12, "b", "10.0.0.2:8081"}};
    backup::Manifest restored;
    BOOST_TEST_REQUIRE(backup::restore_backup(out, t.str() + "/new", members, restored).empty());
    storage::Status st;
    auto fresh = storage::LogStore::open({t.str() + "/new", std::size_t{1} << 26, false}, st);
    BOOST_REQUIRE_MESSAGE(fresh, st.message);
    storage::Loaded l;
    BOOST_REQUIRE(fresh->load(l).ok());
    BOOST_TEST(l.snapshot.index == 50u);
    BOOST_TEST(l.hard_state.commit == 50u);
    BOOST_TEST(l.hard_state.vote == 0u);
    BOOST_TEST((l.snapshot.conf.voters == std::vector<std::uint64_t>{11, 12}));
    state::KvStore kv;
    state::OpsMachine ops;
    state::MemberRegistry reg;
    BOOST_REQUIRE(!state::restore_state(*l.snapshot_data, kv, ops, &reg));
    BOOST_TEST(kv.size() == 50u);
    BOOST_TEST(reg.all().at(12).peer_address == "10.0.0.2:8081");
    // Only into an empty directory: the restored one is not.
    const auto again_err = backup::restore_backup(out, t.str() + "/new", members, restored);
    BOOST_TEST(again_err.find("is not empty") != std::string::npos, again_err);
}

BOOST_AUTO_TEST_CASE(a_damaged_archive_is_named_never_restored) {
    testing::TempDir t;
    auto store = make_store(t.str() + "/src", 20);
    backup::Manifest m;
    const std::string good = t.str() + "/b.tar";
    BOOST_TEST_REQUIRE(backup::backup_store(*store, {"c1", "node-1", 1}, t.str(), good, m).empty());
    std::vector<backup::TarEntry> entries;
    BOOST_REQUIRE(backup::list_tar(good, entries).empty());

    auto copy = [&](const std::string& name) {
        const std::string p = t.str() + "/" + name;
        fs::copy_file(good, p);
        return p;
    };
    // One byte of data.mdb.
    const std::string flipped = copy("flipped.tar");
    flip_byte(flipped, entries[1].offset + entries[1].size / 2);
    auto e = backup::verify_backup(flipped, m);
    BOOST_TEST(e.find("data.mdb has SHA-256") != std::string::npos, e);
    const std::vector<state::MemberInfo> members{{1, "n1", "127.0.0.1:1"}};
    e = backup::restore_backup(flipped, t.str() + "/r1", members, m);
    BOOST_TEST(e.find("SHA-256") != std::string::npos, e);
    BOOST_TEST(!fs::exists(t.str() + "/r1/data.mdb"));
    // A header byte.
    const std::string header = copy("header.tar");
    flip_byte(header, 10);
    e = backup::verify_backup(header, m);
    BOOST_TEST(e.find("bad checksum") != std::string::npos, e);
    // Cut short.
    const std::string cut = copy("cut.tar");
    fs::resize_file(cut, entries[1].offset + 100);
    e = backup::verify_backup(cut, m);
    BOOST_TEST(e.find("truncated") != std::string::npos, e);
    // A manifest whose figures are not the snapshot's.
    {
        std::string text;
        BOOST_REQUIRE(backup::read_entry(good, entries[0], text).empty());
        const auto at = text.find("\"kvKeys\": 20");
        BOOST_REQUIRE(at != std::string::npos);
        text.replace(at, 12, "\"kvKeys\": 21");
        const std::string dir = t.str() + "/lie";
        fs::create_directories(dir);
        std::ofstream(dir + "/manifest.json") << text;
        BOOST_REQUIRE(backup::extract_entry(good, entries[1], dir + "/data.mdb").empty());
        BOOST_REQUIRE(backup::write_tar(t.str() + "/lie.tar", {{"manifest.json", dir + "/manifest.json"},
                                                               {"data.mdb", dir + "/data.mdb"}})
                          .empty());
        e = backup::verify_backup(t.str() + "/lie.tar", m);
        BOOST_TEST(e.find("does not match the manifest") != std::string::npos, e);
    }
    // Not a backup at all.
    std::ofstream(t.str() + "/junk.tar") << std::string(2048, 'x');
    e = backup::verify_backup(t.str() + "/junk.tar", m);
    BOOST_TEST(e.find("bad checksum") != std::string::npos, e);
}

BOOST_AUTO_TEST_CASE(an_offline_backup_applies_the_committed_log_and_a_data_dir_in_use_is_refused) {
    testing::TempDir t;
    const std::string dir = t.str() + "/node";
    {
        auto store = make_store(dir, 10, 5);  // 10 keys in the snapshot, 5 more committed after it
        backup::Manifest m;
        const auto e = backup::backup_data_dir(dir, {"c1", "", 1}, t.str() + "/busy.tar", m);
        BOOST_TEST(e.find("in use by another process (pid " + std::to_string(::getpid()) + ")") != std::string::npos,
                   e);
        storage::Status st;
        auto second = storage::LogStore::open({dir, std::size_t{1} << 26, false}, st);
        BOOST_TEST(!second);
        BOOST_TEST(st.message.find("in use") != std::string::npos, st.message);
    }
    backup::Manifest m;
    const auto e = backup::backup_data_dir(dir, {"c1", "", 1}, t.str() + "/off.tar", m);
    BOOST_TEST_REQUIRE(e.empty(), e);
    BOOST_TEST(m.snapshot_index == 15u);
    BOOST_TEST(m.kv_keys == 15u);
    BOOST_TEST(backup::verify_backup(t.str() + "/off.tar", m).empty());
    const auto none = backup::backup_data_dir(t.str() + "/nothing", {"c1", "", 1}, t.str() + "/x.tar", m);
    BOOST_TEST(none.find("holds no node data") != std::string::npos, none);
}
