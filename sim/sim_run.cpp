#include "sim/sim_run.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <stdexcept>

#include "runtime/crypto/ed25519.hpp"
#include "runtime/raft/assert.hpp"
#include "sim/nemesis.hpp"

namespace raftor::sim {

namespace {

// A node's own invariant assertion: recorded as the run's violation, and thrown so the
// actor that broke it dies (CAF turns the exception into its exit) instead of the process.
thread_local std::vector<std::string>* assertion_sink = nullptr;

void record_assertion(const std::string& message) {
    if (assertion_sink != nullptr && assertion_sink->size() < 16) assertion_sink->push_back(message);
    throw std::runtime_error(message);
}

struct AssertionsRecorded {
    explicit AssertionsRecorded(std::vector<std::string>& sink) : previous_(assert_handler().load()) {
        assertion_sink = &sink;
        assert_handler().store(record_assertion);
    }
    ~AssertionsRecorded() {
        assert_handler().store(previous_);
        assertion_sink = nullptr;
    }
    AssertHandler previous_;
};

std::string seconds(std::uint64_t us) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(us) / 1e6);
    return buf;
}

}  // namespace

std::optional<std::uint64_t> parse_duration_us(const std::string& s) {
    std::size_t digits = 0;
    while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
    if (digits == 0 || digits > 9) return std::nullopt;
    const std::uint64_t n = std::stoull(s.substr(0, digits));
    const std::string unit = s.substr(digits);
    if (unit.empty() || unit == "s") return n * 1'000'000;
    if (unit == "ms") return n * 1'000;
    if (unit == "m") return n * 60'000'000;
    return std::nullopt;
}

std::string replay_command(const SimOptions& o) {
    std::string cmd = "raftor sim --seed " + std::to_string(o.seed) + " --nodes " + std::to_string(o.nodes) +
                      " --duration " +
                      (o.duration_us % 1'000'000 == 0 ? std::to_string(o.duration_us / 1'000'000) + "s"
                                                      : std::to_string(o.duration_us / 1000) + "ms") +
                      " --faults " + o.faults.to_string();
    const WorkloadOptions w;
    if (o.workload.clients != w.clients) cmd += " --clients " + std::to_string(o.workload.clients);
    if (o.workload.keys != w.keys) cmd += " --keys " + std::to_string(o.workload.keys);
    if (!o.operations) cmd += " --operations off";
    return cmd;
}

std::string SimReport::summary(const SimOptions& o) const {
    char speed[32];
    std::snprintf(speed, sizeof speed, "%.0fx",
                  wall_seconds > 0 ? static_cast<double>(sim_us) / 1e6 / wall_seconds : 0);
    char hash[24];
    std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(trace_hash));
    std::string s = std::string(passed ? "PASS" : "FAIL") + " seed " + std::to_string(o.seed) + " nodes " +
                    std::to_string(o.nodes) + " sim " + seconds(sim_us) + " wall " +
                    seconds(static_cast<std::uint64_t>(wall_seconds * 1e6)) + " (" + speed + ") jobs " +
                    std::to_string(jobs) + " ops " + std::to_string(history_ops) + " ok " + std::to_string(counts.ok) +
                    " failed " + std::to_string(counts.failed) + " unknown " + std::to_string(counts.unknown) +
                    " refused " + std::to_string(counts.refused) + " faults " + std::to_string(faults) + " leaders " +
                    std::to_string(leaders) + " liveness " + seconds(liveness_us);
    if (disk_full_struck > 0)
        s += " disk-full " + std::to_string(disk_full_bit) + "/" + std::to_string(disk_full_struck) + " bit";
    if (o.operations)
        s += " executions " + std::to_string(ops.executions) + " tries " + std::to_string(ops.tries) + " receipts " +
             std::to_string(ops.receipts);
    s += std::string(" trace ") + hash;
    if (!passed && !violations.empty()) s += " : " + violations.front();
    return s;
}

SimReport run_sim(const SimOptions& o) {
    SimReport rep;
    std::vector<std::string> assertions;
    AssertionsRecorded recording(assertions);
    const crypto::VerifyMemo verified;  // each seal is verified by every node and checker: once is enough here
    const auto wall_start = std::chrono::steady_clock::now();
    ClusterOptions co;
    co.nodes = o.nodes;
    co.seed = o.seed;
    co.heartbeat_ms = o.heartbeat_ms;
    co.election_timeout_ms = o.election_timeout_ms;
    co.snapshot_interval_ops = o.snapshot_interval_ops;
    // The run's shape, from its seed: small append batches make catching up take many
    // round trips and put batch boundaries where faults can meet them.
    static constexpr std::size_t batch_sizes[] = {1, 3, 16, 64, 4096};
    raft::Rng shape(o.seed ^ 0x5eed5eed5eed5eedull);
    co.append_entries_max = batch_sizes[shape.below(std::size(batch_sizes))];
    // ... and a log cache of a few entries in most runs: a follower behind gets its
    // entries read back from the simulated disk, under the same faults.
    static constexpr std::size_t cache_sizes[] = {0, 1000, 20'000};
    co.log_cache_bytes_max = cache_sizes[shape.below(std::size(cache_sizes))];
    co.trace = o.trace;
    co.operations = o.operations;
    co.wal_segment_bytes = o.wal_segment_bytes;
    std::unique_ptr<OpsChecker> checker;  // outlives the cluster, which tells it of commits
    ActorCluster c(co);
    if (o.operations) {
        checker = std::make_unique<OpsChecker>(c, o.election_timeout_ms);
        c.on_committed([&checker](raft::NodeId, const raft::Entry& e) { checker->committed(e); });
        c.on_launch([&checker](raft::NodeId n, std::uint64_t x, std::uint32_t a) { checker->launched(n, x, a); });
    }
    std::vector<std::string> problems;
    try {
        Workload w(c, o.workload);
        OpsWorkload ops(c);
        Nemesis nemesis(c, o.faults);
        w.start();
        if (o.operations) ops.start();
        // The faulty phase: a fault now and then, each lasting a while, often overlapping.
        const std::uint64_t end = c.now_us() + o.duration_us;
        std::uint64_t next_strike = c.now_us() + 500'000 + c.rng().below(2'000'000);
        while (c.now_us() < end) {
            c.run_for(std::min<std::uint64_t>(100'000, end - c.now_us()));
            nemesis.expire();
            if (c.now_us() >= next_strike && c.now_us() < end) {
                nemesis.strike(4'000'000);
                next_strike = c.now_us() + 200'000 + c.rng().below(3'000'000);
            }
        }
        // The quiet phase: every fault ends; a leader must appear, a client write sent
        // after the heal must commit, and every node must catch up with it, in bounded time.
        nemesis.heal();
        if (checker) checker->healed();
        // Every node up, its commit index at least `mark`.
        auto caught_up = [&c](raft::Index mark) {
            for (raft::NodeId id = 1; id <= c.size(); ++id)
                if (!c.up(id) || c.view(id).commit < mark) return false;
            return true;
        };
        const std::uint64_t healed = c.now_us();
        raft::Index mark = 0;
        const std::uint64_t bound = 20ull * o.election_timeout_ms * 1000;
        const bool live = c.run_until(
            [&] {
                nemesis.settle();  // a voter an operator removed comes back
                const raft::NodeId l = c.leader();
                if (l == 0 || w.last_acked_write_invoke() < healed) return false;
                if (mark == 0) mark = c.view(l).commit;
                return caught_up(mark);
            },
            bound);
        rep.liveness_us = c.now_us() - healed;
        if (!live) {
            std::string state;
            for (raft::NodeId id = 1; id <= c.size(); ++id) {
                const auto& v = c.view(id);
                state += " node " + std::to_string(id) + (c.up(id) ? "" : " (down)") + " " + raft::to_string(v.role) +
                         " term " + std::to_string(v.term) + " commit " + std::to_string(v.commit) + ";";
            }
            problems.push_back(
                "liveness: " + std::string(mark == 0 ? "no leader with a committed write" : "nodes not caught up") +
                " within " + seconds(bound) + " after the heal:" + state);
        }
        // Let the requests in flight finish (or time out) so the history is complete.
        w.stop();
        c.run_until([&] { return !w.in_flight(); }, o.workload.timeout_max_us + 1'000'000);
        rep.counts = w.counts();
        rep.history_ops = w.history().size();
        if (rep.counts.invalid > 0)
            problems.push_back(std::to_string(rep.counts.invalid) + " valid requests were refused as invalid");
        const LinearizabilityResult lin = check_linearizable(w.history());
        rep.check_steps = lin.steps;
        if (!lin.ok)
            problems.push_back("linearizability: key " + lin.key + ": " + lin.explanation);
        else if (lin.exhausted)
            problems.push_back("linearizability undecided: the search budget ran out on key " + lin.key);
        rep.faults = nemesis.struck_total();
        rep.disk_full_struck = nemesis.struck(Fault::disk_full);
        rep.disk_full_bit = nemesis.disk_full_bit();
        rep.fault_summary = nemesis.summary();
        if (checker) {
            // The operations settle: what the faults left running times out or finishes,
            // retries run, the leader's schedules catch up, and every node applies it all.
            const std::uint64_t settle = 12'000'000 + 2ull * o.election_timeout_ms * 1000;
            for (const std::uint64_t until = c.now_us() + settle; c.now_us() < until;) {
                c.run_for(100'000);
                nemesis.settle();
                checker->sample();
            }
            ops.stop();
            c.run_until([&] { return !ops.in_flight(); }, 5'000'000);
            const raft::NodeId l = c.leader();
            const raft::Index mark = l == 0 ? 0 : c.view(l).commit;
            c.run_until([&] { return caught_up(mark); }, 5'000'000);
            checker->check_end();
            for (const auto& v : checker->violations()) problems.push_back("operations: " + v);
            rep.ops = checker->figures();
            rep.operator_counts = ops.counts();
            for (const auto& p : ops.counts().problems) problems.push_back("operations: a valid request refused: " + p);
        }
    } catch (const std::exception& e) {
        problems.push_back(std::string("the simulation itself failed: ") + e.what());
    }
    // Ordered by how directly each names the cause: a node's own assertion first.
    // The same break is often seen twice (from two nodes, or before and after a Ready).
    auto add = [&](const std::string& v) {
        if (std::find(rep.violations.begin(), rep.violations.end(), v) == rep.violations.end())
            rep.violations.push_back(v);
    };
    for (const auto& a : assertions) add(a);
    for (const auto& v : c.invariants().violations()) add(v);
    for (const auto& p : problems) add(p);
    rep.passed = rep.violations.empty();
    rep.trace_hash = c.trace_hash();
    rep.sim_us = c.now_us();
    rep.jobs = c.jobs_run();
    rep.leaders = c.invariants().leaders_elected();
    rep.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    return rep;
}

}  // namespace raftor::sim
