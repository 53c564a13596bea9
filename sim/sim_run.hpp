#pragma once
// One `raftor sim` run, end to end: a cluster of real node actors, clients recording a
// history, an operator registering operations, the nemesis striking faults from the mix,
// a quiet phase, then every checker - Raft's invariants (checked as the run goes), the
// nodes' own assertions, liveness after the heal, linearizability of the clients'
// history, and the operations checkers (ops_checks.hpp).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "runtime/raft/types.hpp"
#include "sim/faults.hpp"
#include "sim/ops_checks.hpp"
#include "sim/ops_workload.hpp"
#include "sim/workload.hpp"

namespace raftor::sim {

struct SimOptions {
    std::uint64_t seed = 1;
    std::size_t nodes = 3;
    std::uint64_t duration_us = 30'000'000;  // the faulty phase, in simulated time
    FaultMix faults = FaultMix::all();
    WorkloadOptions workload;
    std::uint32_t heartbeat_ms = 150;
    std::uint32_t election_timeout_ms = 1500;
    std::uint64_t snapshot_interval_ops = 200;  // small, so snapshots happen in every run
    // The operations half: every node's scheduler, executor and receipt signer, an
    // operator registering operations and publishing events, and their checkers.
    bool operations = true;
    // Each node's WAL segments are preallocated to this (a node's default is 32 MiB).
    std::uint64_t wal_segment_bytes = 64 << 10;
    std::function<void(const std::string&)> trace;
};

struct SimReport {
    bool passed = false;
    std::vector<std::string> violations;  // what failed, the first first
    std::uint64_t trace_hash = 0;
    std::uint64_t sim_us = 0;
    double wall_seconds = 0;
    std::uint64_t jobs = 0;
    Workload::Counts counts;
    std::uint64_t history_ops = 0;
    std::uint64_t check_steps = 0;
    std::uint64_t faults = 0;
    std::string fault_summary;
    // Disk-full faults struck, and those that made the disk refuse a write (bit).
    std::uint64_t disk_full_struck = 0, disk_full_bit = 0;
    std::uint64_t leaders = 0;      // distinct terms that had a leader
    std::uint64_t liveness_us = 0;  // from the heal to a leader and caught-up progress
    OpsChecker::Figures ops;        // with operations on
    OpsWorkload::Counts operator_counts;

    std::string summary(const SimOptions& o) const;  // one line
};

SimReport run_sim(const SimOptions& o);

// "120s", "500ms", "2m", "90" (seconds) -> microseconds; nothing when malformed.
std::optional<std::uint64_t> parse_duration_us(const std::string& s);
// The command line that replays a run exactly.
std::string replay_command(const SimOptions& o);

}  // namespace raftor::sim
