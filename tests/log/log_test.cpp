// The text log line as operators grep it: an uppercase level, the event's name, its
// phrase, its fields. (The JSON form is checked on a real node by cluster.processes.)
#define BOOST_TEST_MODULE log
#include "runtime/log/log.hpp"

#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

using namespace raftor;

namespace {

// Runs `f` with stderr going to a file, and returns what it wrote.
template <class F>
std::string stderr_of(F f) {
    char path[] = "/tmp/raftor-log-test-XXXXXX";
    const int fd = ::mkstemp(path);
    BOOST_REQUIRE(fd >= 0);
    std::fflush(stderr);
    const int saved = ::dup(2);
    ::dup2(fd, 2);
    f();
    std::fflush(stderr);
    ::dup2(saved, 2);
    ::close(saved);
    ::close(fd);
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    ::unlink(path);
    return ss.str();
}

}  // namespace

BOOST_AUTO_TEST_CASE(text_lines_carry_uppercase_levels_and_phrases) {
    BOOST_REQUIRE(logging::init("info", false, "node-1"));
    const auto out = stderr_of([] {
        logging::said(logging::Level::info, "leader_changed", "leader elected", {{"leader", "node-2"}});
        logging::warn("disk_slow", {{"ms", "250"}});
        logging::error("start_failed", {{"error", "no such file"}});
        logging::event(logging::Level::debug, "hidden", {});  // below the level
    });
    std::istringstream lines(out);
    std::string elected, slow, failed, line;
    int n = 0;
    while (std::getline(lines, line)) {
        ++n;
        if (line.find("leader_changed") != std::string::npos) elected = line;
        if (line.find("disk_slow") != std::string::npos) slow = line;
        if (line.find("start_failed") != std::string::npos) failed = line;
    }
    BOOST_TEST(n == 3, out);
    // "<timestamp> LEVEL event node=... msg=\"phrase\" fields"
    BOOST_TEST(
        elected.find(" INFO  leader_changed node=node-1 msg=\"leader elected\" leader=node-2") != std::string::npos,
        elected);
    BOOST_TEST(slow.find(" WARN  disk_slow node=node-1 ms=250") != std::string::npos, slow);
    BOOST_TEST(failed.find(" ERROR start_failed node=node-1 error=\"no such file\"") != std::string::npos, failed);
    BOOST_TEST(out.find("info") == std::string::npos, out);  // no lowercase level names left
}
