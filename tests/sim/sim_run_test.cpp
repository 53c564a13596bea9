// `raftor sim` end to end: seeds across the fault mixes pass every checker, with the
// operations half on, and a seed replays to the same trace hash. That the checkers
// catch deliberate bugs is mutants_test.cpp's.
#include "sim/sim_run.hpp"

#include <boost/test/unit_test.hpp>

#include "tests/sim/sim_options.hpp"

using namespace raftor;
using namespace raftor::sim;
using namespace raftor::sim::testing;

namespace {

// Runs seeds first..last; every one must pass.
void all_pass(SimOptions o, std::uint64_t first, std::uint64_t last) {
    double sim_s = 0, wall_s = 0;
    std::uint64_t ops = 0;
    for (std::uint64_t seed = first; seed <= last; ++seed) {
        o.seed = seed;
        const SimReport r = run_sim(o);
        sim_s += static_cast<double>(r.sim_us) / 1e6;
        wall_s += r.wall_seconds;
        ops += r.history_ops;
        if (!r.passed) {
            std::string all;
            for (const auto& v : r.violations) all += "\n  " + v;
            BOOST_ERROR(r.summary(o) << all << "\n  replay: " << replay_command(o));
        }
    }
    BOOST_TEST_MESSAGE(o.nodes << " nodes, faults " << o.faults.to_string() << ": seeds " << first << ".." << last
                               << ", " << ops << " ops checked, " << sim_s << " simulated s in " << wall_s << " s");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sim_seeds)

BOOST_AUTO_TEST_CASE(three_nodes_every_fault) {
    all_pass(options(3, "all", 30), 1, scaled(300));
}

BOOST_AUTO_TEST_CASE(five_nodes_every_fault) {
    all_pass(options(5, "all", 30), 1, scaled(100));
}

BOOST_AUTO_TEST_CASE(seven_nodes_every_fault) {
    all_pass(options(7, "all", 30), 1, scaled(20));
}

// Each fault alone, so a problem is named by the fault that causes it.
BOOST_AUTO_TEST_CASE(one_fault_at_a_time) {
    for (std::size_t k = 0; k < fault_kinds; ++k)
        all_pass(options(3, fault_name(static_cast<Fault>(k)), 20), 1, scaled(15));
}

BOOST_AUTO_TEST_CASE(no_faults_at_all) {
    SimOptions o = options(3, "none", 20);
    all_pass(o, 1, 2);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(sim_replay)

BOOST_AUTO_TEST_CASE(same_seed_same_trace_hash_and_the_trace_changes_nothing) {
    SimOptions o = options(5, "all", 15);
    o.seed = 42;
    const SimReport a = run_sim(o);
    const SimReport b = run_sim(o);
    BOOST_TEST(a.passed);
    BOOST_TEST(a.trace_hash == b.trace_hash);
    BOOST_TEST(a.jobs == b.jobs);
    BOOST_TEST(a.history_ops == b.history_ops);
    BOOST_TEST(a.faults > 0u);
    std::vector<std::string> lines;
    o.trace = [&](const std::string& l) { lines.push_back(l); };
    const SimReport c = run_sim(o);
    BOOST_TEST(c.trace_hash == a.trace_hash);
    auto has = [&](const std::string& what) {
        for (const auto& l : lines)
            if (l.find(what) != std::string::npos) return true;
        return false;
    };
    BOOST_TEST(has(" deliver "));
    BOOST_TEST(has(" leader term "));
    BOOST_TEST(has(" -> client "));
    BOOST_TEST(has("heal all"));
    o.trace = nullptr;
    o.seed = 43;
    BOOST_TEST(run_sim(o).trace_hash != a.trace_hash);
}

BOOST_AUTO_TEST_CASE(fault_specs_durations_and_replay_commands) {
    std::string error;
    const auto m = parse_faults("partition=3,crash,drop", error);
    BOOST_REQUIRE(m);
    BOOST_TEST(m->of(Fault::partition) == 3u);
    BOOST_TEST(m->of(Fault::crash) == 1u);
    BOOST_TEST(m->of(Fault::skew) == 0u);
    BOOST_TEST(m->to_string() == "drop,partition=3,crash");
    BOOST_TEST(parse_faults("all,skew=0", error)->of(Fault::skew) == 0u);
    BOOST_TEST(parse_faults("none", error)->total() == 0u);
    BOOST_TEST(!parse_faults("partition,crsh", error));
    BOOST_TEST(error.find("unknown fault 'crsh'") != std::string::npos);
    BOOST_TEST(!parse_faults("drop=x", error));
    BOOST_TEST(error.find("'drop'") != std::string::npos);
    BOOST_TEST(!parse_faults("", error));
    BOOST_TEST(*parse_duration_us("120s") == 120'000'000u);
    BOOST_TEST(*parse_duration_us("500ms") == 500'000u);
    BOOST_TEST(*parse_duration_us("2m") == 120'000'000u);
    BOOST_TEST(*parse_duration_us("90") == 90'000'000u);
    BOOST_TEST(!parse_duration_us("1h"));
    BOOST_TEST(!parse_duration_us("s"));
    SimOptions o = options(5, "partition=3,crash", 120);
    o.seed = 9;
    BOOST_TEST(replay_command(o) == "raftor sim --seed 9 --nodes 5 --duration 120s --faults partition=3,crash");
    o.operations = false;
    BOOST_TEST(replay_command(o) ==
               "raftor sim --seed 9 --nodes 5 --duration 120s --faults partition=3,crash --operations off");
}

BOOST_AUTO_TEST_SUITE_END()
