#pragma once
// The node's periodic self-check (every healthCheckIntervalMs): is its storage
// writable, can it reach a quorum of its peers, does its wall clock behave? Pure: the
// supervisor probes the disk, counts connected peers and reads both clocks, and this
// judges what it saw. /health and raftor_self_check_ok report the verdict.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace raftor::node {

struct SelfCheckInput {
    std::optional<std::string> storage_error;           // the probe's failure; none: written and synced
    std::size_t peers = 0;                              // the other members
    std::size_t peers_connected = 0;                    // with a link up now
    std::int64_t wall_ms = 0, steady_ms = 0;            // now
    std::int64_t prev_wall_ms = 0, prev_steady_ms = 0;  // at the last check (0: this is the first)
    std::int64_t clock_step_tolerance_ms = 1000;
};

struct SelfCheck {
    bool done = false;  // false until the first check ran
    bool storage = true, peers = true, clock = true;
    std::string storage_detail, peers_detail, clock_detail;  // what failed, in words
    std::size_t peers_reachable = 0, peers_total = 0;
    std::int64_t clock_step_ms = 0;  // how far the wall clock moved beyond the monotonic one
    std::int64_t at_wall_ms = 0;
    std::uint64_t runs = 0;
    bool ok() const { return storage && peers && clock; }
};

// The earliest wall clock taken as sane (2020-01-01): a clock before it was never set.
constexpr std::int64_t sane_wall_ms_min = 1'577'836'800'000;

SelfCheck evaluate(const SelfCheckInput& in, std::uint64_t runs_before);

}  // namespace raftor::node
