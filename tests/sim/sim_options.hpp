#pragma once
// What the simulator's seed tests share: the seed count a sanitizer build scales down,
// and a run's options from a cluster size, a fault mix and a duration.
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <string>

#include "sim/sim_run.hpp"

namespace raftor::sim::testing {

// Sanitizer builds run a tenth of the random runs (CMakePresets.json sets RAFTOR_SEEDS=100).
inline std::uint64_t scaled(std::uint64_t n) {
    if (const char* s = std::getenv("RAFTOR_SEEDS"))
        return std::max<std::uint64_t>(2, n * std::strtoull(s, nullptr, 10) / 1000);
    return n;
}

inline FaultMix mix(const std::string& spec) {
    std::string error;
    auto m = parse_faults(spec, error);
    BOOST_REQUIRE_MESSAGE(m, error);
    return *m;
}

inline SimOptions options(std::size_t nodes, const std::string& faults, std::uint64_t seconds) {
    SimOptions o;
    o.nodes = nodes;
    o.faults = mix(faults);
    o.duration_us = seconds * 1'000'000;
    return o;
}

}  // namespace raftor::sim::testing
