// A file system that fills during an LMDB commit makes LMDB write short, which it
// reports as EIO. That is a full disk (the node waits for room and retries), not a
// failed device (the node stops): found by the chaos run, whose disk-full fault hit a
// leader saving a snapshot. Needs root to mount a small tmpfs; skipped otherwise.
#include <sys/mount.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "runtime/storage/lmdb_env.hpp"
#include "runtime/storage/state_store_lmdb.hpp"

using namespace raftor::storage;
namespace fs = std::filesystem;

namespace {

struct SmallDisk {
    std::string dir;
    bool mounted = false;
    explicit SmallDisk(const char* size) {
        std::string tmpl = (fs::temp_directory_path() / "raftor-lmdb-full-XXXXXX").string();
        if (::mkdtemp(tmpl.data()) == nullptr) return;
        dir = tmpl;
        const std::string opts = std::string("size=") + size;
        mounted = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, opts.c_str()) == 0;
    }
    ~SmallDisk() {
        if (mounted) ::umount2(dir.c_str(), MNT_DETACH);
        std::error_code ec;
        if (!dir.empty()) fs::remove_all(dir, ec);
    }
};

Status put(MDB_env* env, const std::string& key, const std::string& value) {
    Txn t;
    if (auto s = t.begin(env, false); !s.ok()) return s;
    MDB_dbi dbi{};
    if (int rc = mdb_dbi_open(t.get(), nullptr, 0, &dbi); rc != 0) return Status::from_mdb(rc, "open");
    MDB_val k = val(key), v = val(value);
    if (int rc = mdb_put(t.get(), dbi, &k, &v, 0); rc != 0) return Status::from_mdb(rc, "put");
    return t.commit();
}

// Fills `dir`'s file system, but for `leave` bytes.
void fill(const std::string& dir, std::uintmax_t leave) {
    const auto room = fs::space(dir).available;
    std::ofstream filler(dir + "/filler", std::ios::binary);
    const std::string block(16 << 10, 'f');
    for (std::uintmax_t n = 0; n + block.size() + leave <= room; n += block.size()) filler << block;
}

// Rows of `bytes` each under keys from `from`, in one commit.
Status write_rows(StateStore& s, int from, int count, std::size_t bytes, std::uint64_t applied) {
    Status st;
    auto w = s.write(st);
    if (!st.ok()) return st;
    for (int i = from; i < from + count; ++i)
        if (st = w->put(1, "row-" + std::to_string(i), std::string(bytes, 'r')); !st.ok()) return st;
    return s.commit(std::move(w), applied);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(lmdb_full_disk)

BOOST_AUTO_TEST_CASE(a_commit_on_a_disk_that_fills_is_storage_full_and_succeeds_once_there_is_room) {
    if (::geteuid() != 0) {
        BOOST_TEST_MESSAGE("SKIPPED: mounting a tmpfs needs root");
        return;
    }
    SmallDisk disk("4m");
    if (!disk.mounted) {
        BOOST_TEST_MESSAGE("SKIPPED: could not mount a tmpfs here");
        return;
    }
    const std::string data = disk.dir + "/data";
    Env env;
    BOOST_REQUIRE(env.open(data, 64 << 20, true, 4).ok());
    BOOST_REQUIRE(put(env.get(), "small", "x").ok());
    // All the room but 256 KiB goes to another file; then a 2 MiB value cannot fit.
    const auto room = fs::space(disk.dir).available;
    BOOST_REQUIRE(room > (1u << 20));
    {
        std::ofstream filler(disk.dir + "/filler", std::ios::binary);
        const std::string block(64 << 10, 'f');
        for (std::uintmax_t n = 0; n + block.size() + (256 << 10) <= room; n += block.size()) filler << block;
    }
    const std::string big(2 << 20, 'v');
    const Status full = put(env.get(), "big", big);
    BOOST_TEST_MESSAGE("commit on the full disk: " << full.message);
    BOOST_TEST(!full.ok());
    BOOST_TEST((full.code == Errc::map_full), full.message);
    // Room again: the same commit goes through, and what was there before is intact.
    fs::remove(disk.dir + "/filler");
    const Status again = put(env.get(), "big", big);
    BOOST_TEST(again.ok(), again.message);
    Txn r;
    BOOST_REQUIRE(r.begin(env.get(), true).ok());
    MDB_dbi dbi{};
    BOOST_REQUIRE(mdb_dbi_open(r.get(), nullptr, 0, &dbi) == 0);
    for (const auto& [key, want] : {std::pair<std::string, std::size_t>{"small", 1}, {"big", big.size()}}) {
        MDB_val k = val(key), v{};
        BOOST_REQUIRE(mdb_get(r.get(), dbi, &k, &v) == 0);
        BOOST_TEST(v.mv_size == want);
    }
}

// The state store takes its room ahead (reserve): what it reserved still commits once
// the disk is full, and a reserve the disk has not got is refused, not a failed commit.
BOOST_AUTO_TEST_CASE(the_state_store_commits_into_the_room_it_reserved_on_a_full_disk) {
    if (::geteuid() != 0) {
        BOOST_TEST_MESSAGE("SKIPPED: mounting a tmpfs needs root");
        return;
    }
    SmallDisk disk("16m");
    if (!disk.mounted) {
        BOOST_TEST_MESSAGE("SKIPPED: could not mount a tmpfs here");
        return;
    }
    Status st;
    auto store = LmdbStateStore::open(disk.dir + "/state", std::size_t{1} << 30, false, st);
    BOOST_REQUIRE_MESSAGE(store != nullptr, st.message);
    BOOST_REQUIRE(write_rows(*store, 0, 10, 100, 1).ok());
    const Status reserved = store->reserve(2 << 20);
    BOOST_TEST(reserved.ok(), reserved.message);
    fill(disk.dir, 0);
    BOOST_TEST_MESSAGE("left after the fill: " << fs::space(disk.dir).available);
    // 1 MiB of rows fits in the 2 MiB (or 4 MiB) reserved, with the disk full.
    const Status inside = write_rows(*store, 10, 256, 4000, 2);
    BOOST_TEST(inside.ok(), inside.message);
    // More than the disk has: refused as a full disk, naming what is free.
    const Status more = store->reserve(64 << 20);
    BOOST_TEST((more.code == Errc::map_full), more.message);
    BOOST_TEST(more.message.find("bytes free") != std::string::npos, more.message);
    // Past what was reserved, a commit does fail for room: what the reserve is for.
    const Status past = write_rows(*store, 300, 2048, 4000, 3);
    BOOST_TEST((past.code == Errc::map_full), past.message);
    fs::remove(disk.dir + "/filler");
    BOOST_TEST(store->reserve(8 << 20).ok());
    const Status after = write_rows(*store, 300, 1024, 4000, 3);
    BOOST_TEST(after.ok(), after.message);
    auto view = store->read(st);
    BOOST_REQUIRE(st.ok());
    BOOST_TEST(view->applied_index() == 3u);
    int rows = 0;
    BOOST_REQUIRE(view->scan(1, {}, {}, [&](std::string_view, std::string_view) { return ++rows, true; }).ok());
    BOOST_TEST(rows == 10 + 256 + 1024);
}

BOOST_AUTO_TEST_SUITE_END()
