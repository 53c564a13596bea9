// The pure-core randomized runs, longer and with many more seeds than `make test` affords
// (`make sim-long` runs the actor-level `raftor sim`; this is its pure-core sibling).
// Usage: raft_random_long [first_seed] [count] [seconds_simulated]
#include <cstdio>
#include <cstdlib>

#include "tests/raft/random_run.hpp"

int main(int argc, char** argv) {
    const std::uint64_t first = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1;
    const std::uint64_t count = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 20000;
    const std::uint64_t secs = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 20;
    std::uint64_t failures = 0;
    for (std::uint64_t seed = first; seed < first + count; ++seed) {
        for (std::size_t n : {3, 5, 7}) {
            auto r = raftor::sim::random_run(n, seed, secs * 1'000'000);
            if (!r.ok) {
                ++failures;
                std::printf("FAIL %s\n", r.failure.c_str());
            }
        }
        if (seed % 100 == 0)
            std::printf("seeds %llu..%llu: %llu failures\n", (unsigned long long)first, (unsigned long long)seed,
                        (unsigned long long)failures);
    }
    std::printf("%llu seeds x {3,5,7} nodes: %llu failures\n", (unsigned long long)count, (unsigned long long)failures);
    return failures == 0 ? 0 : 1;
}
