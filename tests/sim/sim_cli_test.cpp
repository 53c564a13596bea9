// The `raftor sim` command line as an operator uses it: a seed's line and trace hash
// repeat exactly, a failing seed prints a replay command that reproduces it, a range
// runs in worker processes, and bad arguments are named.
#include <sys/wait.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <fstream>
#include <string>

namespace {

struct Run {
    int status = -1;
    std::string out;
};

Run raftor(const std::string& args) {
    Run r;
    const std::string cmd = std::string(RAFTOR_BIN) + " " + args + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    BOOST_REQUIRE(p != nullptr);
    char buf[4096];
    while (std::fgets(buf, sizeof buf, p) != nullptr) r.out += buf;
    const int st = pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

std::string line_with(const std::string& out, const std::string& what) {
    const auto at = out.find(what);
    if (at == std::string::npos) return {};
    const auto begin = out.rfind('\n', at);
    const auto end = out.find('\n', at);
    return out.substr(begin == std::string::npos ? 0 : begin + 1, end - (begin == std::string::npos ? 0 : begin + 1));
}

std::string hash_of(const std::string& line) {
    const auto at = line.find(" trace ");
    return at == std::string::npos ? std::string() : line.substr(at + 7, 16);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sim_cli)

// Which seed crashes a node depends on every message the actors exchange: take the
// first of a few whose trace has both a partition and a crash, then replay it.
BOOST_AUTO_TEST_CASE(a_seed_repeats_exactly_and_writes_its_trace) {
    const std::string faults = " --nodes 5 --duration 10s --faults partition=3,crash,drop";
    const std::string trace_file = "sim-cli-test.trace";
    for (int seed = 11; seed <= 30; ++seed) {
        const std::string s = std::to_string(seed);
        const Run a = raftor("sim --seed " + s + faults + " --trace " + trace_file);
        BOOST_TEST(a.status == 0, a.out);
        const std::string line = line_with(a.out, "PASS seed " + s + " nodes 5");
        BOOST_REQUIRE(!line.empty());
        std::ifstream trace(trace_file);
        std::string l;
        std::size_t lines = 0;
        bool partition = false, crash = false;
        while (std::getline(trace, l)) {
            ++lines;
            partition |= l.find(" partition ") != std::string::npos || l.find(" bridge ") != std::string::npos ||
                         l.find(" cannot send") != std::string::npos;
            crash |= l.find(" crash node ") != std::string::npos;
        }
        BOOST_TEST(lines > 1000u);
        if (!partition || !crash) continue;
        const Run b = raftor("sim --seed " + s + faults);
        BOOST_TEST(hash_of(line_with(b.out, "PASS seed " + s)) == hash_of(line));
        std::remove(trace_file.c_str());
        return;
    }
    BOOST_FAIL("no seed of 11..30 had both a partition and a crash");
}

BOOST_AUTO_TEST_CASE(a_range_of_seeds_in_worker_processes) {
    const Run r = raftor("sim --seeds 1..6 --jobs 2 --duration 5s");
    BOOST_TEST(r.status == 0, r.out);
    for (int s = 1; s <= 6; ++s) BOOST_TEST(!line_with(r.out, "PASS seed " + std::to_string(s) + " ").empty());
    BOOST_TEST(!line_with(r.out, "6 seeds, 0 failed").empty(), r.out);
    // The same seed alone and among others: the same run.
    const Run one = raftor("sim --seed 4 --duration 5s");
    BOOST_TEST(hash_of(line_with(one.out, "PASS seed 4 ")) == hash_of(line_with(r.out, "PASS seed 4 ")));
}

BOOST_AUTO_TEST_CASE(bad_arguments_are_named) {
    auto bad = [](const std::string& args, const std::string& says) {
        const Run r = raftor("sim " + args);
        BOOST_TEST(r.status == 2, args << ": " << r.out);
        BOOST_TEST(r.out.find(says) != std::string::npos, args << ": " << r.out);
    };
    bad("--faults partition,crsh", "unknown fault 'crsh'");
    bad("--faults drop=lots", "fault weight 'lots' of 'drop'");
    bad("--duration 3h", "--duration '3h'");
    bad("--nodes 2", "3 to 7 nodes");
    bad("--seeds 9..3", "--seeds '9..3'");
    bad("--seeds 1..3 --trace x.trace", "--trace: one seed at a time");
    bad("--operations maybe", "--operations 'maybe'");
    // The deliberate bugs are in the mutants' test binary only.
    const Run r = raftor("sim --bug double-vote");
    BOOST_TEST(r.status != 0);
    BOOST_TEST(r.out.find("not expected: double-vote --bug") != std::string::npos, r.out);
}

BOOST_AUTO_TEST_SUITE_END()
