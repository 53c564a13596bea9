#pragma once
// The cluster's operations figures, kept by the state machine as executions become
// final: counts by status and a histogram of handler durations. They are replicated
// state (in snapshots), so every node reports the same figures, they never go back at
// a restart or a failover, and Prometheus counters and the runbook's JSON summary read
// them as they are.
#include <array>
#include <cstdint>

#include "runtime/state/execution.hpp"

namespace raftor::state {

struct OpsFigures {
    // Upper bounds (ms) of the duration histogram's buckets; the last bucket is +Inf.
    static constexpr std::array<std::uint64_t, 15> bounds{1,    5,    10,   25,    50,    100,   250,   500,
                                                          1000, 2500, 5000, 10000, 30000, 60000, 300000};
    std::array<std::uint64_t, 9> by_status{};  // indexed by ExecStatus (final ones only grow)
    // Executions whose handler ran (started), by duration: buckets[i] counts those with
    // duration <= bounds[i] and above the bound before; buckets.back() the rest.
    std::array<std::uint64_t, bounds.size() + 1> buckets{};
    std::uint64_t duration_count = 0;
    std::uint64_t duration_sum_ms = 0;

    void add(const Execution& e);
    void add(ExecStatus status, bool ran, std::uint64_t duration_ms);

    std::uint64_t finished() const;  // every final execution
    std::uint64_t of(ExecStatus s) const { return by_status[static_cast<std::size_t>(s)]; }
    std::uint64_t errors() const;  // failed, timed out or interrupted
    // Successes among executions that ran to an outcome (success or error); 1 with none.
    double success_rate() const;
    double average_ms() const;
    // The q-quantile of durations, interpolated within its bucket as Prometheus's
    // histogram_quantile does; 0 with no durations.
    double quantile_ms(double q) const;
};

}  // namespace raftor::state
