// The self-check's verdicts (runtime/node/self_check) and the storage probe it uses.
#include "runtime/node/self_check.hpp"

#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>

#include "runtime/storage/probe.hpp"

using namespace raftor;
using namespace raftor::node;

namespace {
SelfCheckInput healthy() {
    SelfCheckInput in;
    in.peers = 2;
    in.peers_connected = 2;
    in.wall_ms = sane_wall_ms_min + 100 * 86'400'000LL;  // 2020-04-10
    in.steady_ms = 50'000;
    return in;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(self_check)

BOOST_AUTO_TEST_CASE(a_healthy_node_passes_every_check) {
    auto c = evaluate(healthy(), 0);
    BOOST_TEST(c.done);
    BOOST_TEST(c.ok());
    BOOST_TEST(c.runs == 1u);
    BOOST_TEST(c.peers_reachable == 2u);
    BOOST_TEST(evaluate(healthy(), 41).runs == 42u);
}

BOOST_AUTO_TEST_CASE(peers_fail_below_a_quorum_only) {
    auto in = healthy();
    in.peers_connected = 1;  // 2 of 3 with itself: a quorum
    BOOST_TEST(evaluate(in, 0).peers);
    in.peers_connected = 0;
    auto c = evaluate(in, 0);
    BOOST_TEST(!c.peers);
    BOOST_TEST(c.peers_detail == "0 of 2 peers connected; a quorum needs 1");
    in.peers = 4;  // five members: three make a quorum
    in.peers_connected = 1;
    BOOST_TEST(evaluate(in, 0).peers_detail == "1 of 4 peers connected; a quorum needs 2");
    in.peers = 0;  // a single node needs nobody
    in.peers_connected = 0;
    BOOST_TEST(evaluate(in, 0).peers);
}

BOOST_AUTO_TEST_CASE(the_clock_fails_when_stepped_or_unset) {
    auto in = healthy();
    in.prev_wall_ms = in.wall_ms - 30'000;
    in.prev_steady_ms = in.steady_ms - 30'000;
    BOOST_TEST(evaluate(in, 1).clock);
    in.wall_ms += 900;  // drift within the tolerance
    BOOST_TEST(evaluate(in, 1).clock);
    BOOST_TEST(evaluate(in, 1).clock_step_ms == 900);
    in.wall_ms -= 900 + 3600'000;  // stepped back an hour
    auto back = evaluate(in, 1);
    BOOST_TEST(!back.clock);
    BOOST_TEST(back.clock_step_ms == -3600'000);
    BOOST_TEST(back.clock_detail.find("stepped back by 3600000 ms") != std::string::npos, back.clock_detail);
    in.wall_ms = 86'400'000;  // 1970: never set
    auto unset = evaluate(in, 1);
    BOOST_TEST(!unset.clock);
    BOOST_TEST(unset.clock_detail.find("before 2020") != std::string::npos, unset.clock_detail);
}

BOOST_AUTO_TEST_CASE(a_storage_error_fails_storage_only) {
    auto in = healthy();
    in.storage_error = "cannot sync /x: Input/output error";
    auto c = evaluate(in, 0);
    BOOST_TEST(!c.storage);
    BOOST_TEST(c.storage_detail == "cannot sync /x: Input/output error");
    BOOST_TEST(c.peers);
    BOOST_TEST(c.clock);
}

BOOST_AUTO_TEST_CASE(the_probe_writes_syncs_and_removes_its_file) {
    auto dir = std::filesystem::temp_directory_path() / ("raftor-probe-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    BOOST_TEST(!storage::probe_writable(dir.string()).has_value());
    BOOST_TEST(!std::filesystem::exists(dir / ".health-probe"));
    std::filesystem::remove_all(dir);
    auto gone = storage::probe_writable(dir.string());
    BOOST_REQUIRE(gone.has_value());
    BOOST_TEST(gone->find("cannot create " + dir.string() + "/.health-probe: No such file or directory") == 0, *gone);
}

BOOST_AUTO_TEST_SUITE_END()
