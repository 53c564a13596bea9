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

BOOST_AUTO_TEST_SUITE_END()
