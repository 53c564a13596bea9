// Randomized runs over 3 and 5 simulated cores: message loss, delay, duplication,
// reordering, partitions, crashes losing unsynced writes, skewed clocks, snapshots,
// membership changes and transfers. Safety is checked after every event.
#include <boost/test/unit_test.hpp>
#include <cstdlib>

#include "tests/raft/random_run.hpp"

using raftor::sim::random_run;

namespace {
void run_seeds(std::size_t n, std::uint64_t count) {
    std::uint64_t first = 1;
    // Sanitizer builds run fewer seeds (CMakePresets.json sets RAFTOR_SEEDS).
    if (const char* s = std::getenv("RAFTOR_SEEDS")) count = std::strtoull(s, nullptr, 10);
    if (const char* s = std::getenv("RAFTOR_SEED")) {  // replay one seed
        first = std::strtoull(s, nullptr, 10);
        count = 1;
    }
    std::uint64_t failures = 0, commits = 0, leaders = 0, snapshots = 0, conf = 0, messages = 0;
    for (std::uint64_t seed = first; seed < first + count; ++seed) {
        auto r = random_run(n, seed);
        commits += r.commit;
        leaders += r.leaders;
        snapshots += r.snapshots;
        conf += r.conf_changes;
        messages += r.events;
        if (!r.ok) {
            ++failures;
            BOOST_ERROR(r.failure);
            if (failures >= 5) break;
        }
    }
    BOOST_TEST_MESSAGE(n << " nodes, " << count << " seeds: " << commits << " entries committed, " << leaders
                         << " leaders elected, " << snapshots << " snapshots installed, " << conf
                         << " conf changes in final logs, " << messages << " messages delivered");
    BOOST_TEST(leaders > count * 3);  // faults really forced elections
    BOOST_TEST(snapshots > count / 10);
    BOOST_TEST(commits > count * 10);  // the runs did real work
}
}  // namespace

BOOST_AUTO_TEST_SUITE(randomized)

BOOST_AUTO_TEST_CASE(three_nodes_1000_seeds) {
    run_seeds(3, 1000);
}
BOOST_AUTO_TEST_CASE(five_nodes_1000_seeds) {
    run_seeds(5, 1000);
}

BOOST_AUTO_TEST_CASE(same_seed_same_trace) {
    auto a = random_run(5, 4242);
    auto b = random_run(5, 4242);
    auto c = random_run(5, 4243);
    BOOST_TEST(a.trace_hash == b.trace_hash);
    BOOST_TEST(a.commit == b.commit);
    BOOST_TEST(a.trace_hash != c.trace_hash);
}

// The checkers are only worth something if they catch a broken Raft: with a disk
// that forgets votes, some seeds must end with two leaders in one term or worse.
BOOST_AUTO_TEST_CASE(checkers_catch_a_disk_that_forgets_votes) {
    std::uint64_t caught = 0;
    std::string example;
    for (std::uint64_t seed = 1; seed <= 300; ++seed) {
        auto r = random_run(3, seed, 10'000'000, 0.5);
        if (!r.ok) {
            ++caught;
            if (example.empty()) example = r.failure;
        }
    }
    BOOST_TEST_MESSAGE("lying disk: " << caught << " of 300 seeds caught, e.g. " << example);
    BOOST_TEST(caught > 0u);
}

BOOST_AUTO_TEST_SUITE_END()
