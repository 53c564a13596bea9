// The directory handlers' scratch directories go in belongs to one node: another node
// of the same name on the same host neither shares it nor sweeps it away.
#include "runtime/exec/scratch_root.hpp"

#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <optional>

using namespace raftor;
namespace fs = std::filesystem;

namespace {

struct Tmp {
    fs::path path;
    Tmp() {
        std::string t = (fs::temp_directory_path() / "raftor-scratch-test-XXXXXX").string();
        path = ::mkdtemp(t.data());
    }
    ~Tmp() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    std::size_t entries() const { return std::distance(fs::directory_iterator(path), fs::directory_iterator()); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(scratch_root)

BOOST_AUTO_TEST_CASE(two_nodes_of_one_name_each_get_their_own_and_neither_sweeps_the_other) {
    Tmp tmp;
    std::optional<exec::ScratchRoot> a{std::in_place};
    BOOST_REQUIRE_EQUAL(a->open("", tmp.path.string(), "node-1"), "");
    BOOST_TEST(a->path().rfind((tmp.path / "raftor-handlers-node-1-").string(), 0) == 0u, a->path());
    // A running handler's directory in the first.
    const fs::path running = fs::path(a->path()) / "ex-abc123";
    fs::create_directories(running);
    std::ofstream(running / "work") << "busy";

    exec::ScratchRoot b;
    BOOST_REQUIRE_EQUAL(b.open("", tmp.path.string(), "node-1"), "");
    BOOST_TEST(b.path() != a->path());
    BOOST_TEST(fs::exists(running / "work"), "a second node of the same name swept a running handler's directory");
    BOOST_TEST(tmp.entries() == 2u);
    // Ended: its directory goes with it, the other's stays.
    const std::string gone = a->path();
    a.reset();
    BOOST_TEST(!fs::exists(gone));
    BOOST_TEST(fs::exists(b.path()));
}

BOOST_AUTO_TEST_CASE(what_a_crashed_node_left_is_removed_and_only_that) {
    Tmp tmp;
    // A crashed node's: a lock file nobody holds, and a handler's leftovers.
    const fs::path stale = tmp.path / "raftor-handlers-node-2-Ab12Cd";
    fs::create_directories(stale / "ex-000001");
    std::ofstream(stale / ".lock");
    // Not ours to judge: another node's name, and one without a lock file yet.
    const fs::path other = tmp.path / "raftor-handlers-node-3-Ab12Cd";
    fs::create_directories(other);
    std::ofstream(other / ".lock");
    const fs::path unlocked = tmp.path / "raftor-handlers-node-2-Zz99Yy";
    fs::create_directories(unlocked);
    exec::ScratchRoot held;  // a running node-2
    BOOST_REQUIRE_EQUAL(held.open("", tmp.path.string(), "node-2"), "");
    BOOST_TEST(!fs::exists(stale));
    BOOST_TEST(fs::exists(other));
    BOOST_TEST(fs::exists(unlocked));

    exec::ScratchRoot next;
    BOOST_REQUIRE_EQUAL(next.open("", tmp.path.string(), "node-2"), "");
    BOOST_TEST(fs::exists(held.path()), "a running node's directory was removed");
}

BOOST_AUTO_TEST_CASE(a_configured_directory_is_emptied_of_leftovers_and_held_by_one_node) {
    Tmp tmp;
    const std::string dir = (tmp.path / "work").string();
    fs::create_directories(fs::path(dir) / "ex-left");
    std::ofstream(fs::path(dir) / "keep");  // not ours: only ex-* is swept
    {
        exec::ScratchRoot a;
        BOOST_REQUIRE_EQUAL(a.open(dir, tmp.path.string(), "node-1"), "");
        BOOST_TEST(a.path() == dir);
        BOOST_TEST(!fs::exists(fs::path(dir) / "ex-left"));
        BOOST_TEST(fs::exists(fs::path(dir) / "keep"));
        exec::ScratchRoot b;
        const std::string e = b.open(dir, tmp.path.string(), "node-2");
        BOOST_TEST(e.find("in use by another node") != std::string::npos, e);
        BOOST_TEST(e.find(dir) != std::string::npos, e);
    }
    // Configured directories stay when the node stops, and the next node takes it.
    BOOST_TEST(fs::exists(dir));
    exec::ScratchRoot c;
    BOOST_TEST(c.open(dir, tmp.path.string(), "node-1") == "");
}

BOOST_AUTO_TEST_CASE(a_configured_path_that_is_not_a_directory_is_named) {
    Tmp tmp;
    const std::string file = (tmp.path / "file").string();
    std::ofstream(file) << "x";
    exec::ScratchRoot a;
    const std::string e = a.open(file, tmp.path.string(), "node-1");
    BOOST_TEST(e == "'" + file + "' is not a directory");
}

BOOST_AUTO_TEST_SUITE_END()
