#include "sim/sim_command.hpp"

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <limits>
#include <optional>

#include "runtime/log/log.hpp"
#include "sim/sim_run.hpp"

namespace raftor::sim {

namespace {

struct SeedResult {
    std::uint64_t seed = 0;
    bool passed = false;
    std::uint64_t sim_us = 0;
    std::uint64_t wall_us = 0;
    std::string line;    // the summary
    std::string detail;  // failures only: every violation and the replay command, one per line
};

// One line over a pipe: fields split by tabs, newlines in the detail escaped.
std::string encode(const SeedResult& r) {
    std::string detail;
    for (char ch : r.detail) detail += ch == '\n' ? '\x1f' : ch;
    std::string out = std::to_string(r.seed) + "\t" + (r.passed ? "1" : "0") + "\t" + std::to_string(r.sim_us) + "\t" +
                      std::to_string(r.wall_us) + "\t" + r.line + "\t" + detail;
    for (char& ch : out)
        if (ch == '\n') ch = ' ';
    if (out.size() > 4000) out.resize(4000);  // one atomic pipe write
    return out + "\n";
}

std::optional<SeedResult> decode(const std::string& s) {
    std::vector<std::string> f;
    std::size_t pos = 0;
    for (int i = 0; i < 5; ++i) {
        const auto tab = s.find('\t', pos);
        if (tab == std::string::npos) return std::nullopt;
        f.push_back(s.substr(pos, tab - pos));
        pos = tab + 1;
    }
    f.push_back(s.substr(pos));
    SeedResult r;
    try {
        r.seed = std::stoull(f[0]);
        r.passed = f[1] == "1";
        r.sim_us = std::stoull(f[2]);
        r.wall_us = std::stoull(f[3]);
    } catch (const std::exception&) {
        return std::nullopt;
    }
    r.line = f[4];
    for (char ch : f[5]) r.detail += ch == '\x1f' ? '\n' : ch;
    return r;
}

SeedResult run_one(SimOptions o, std::uint64_t seed, std::ofstream* trace) {
    o.seed = seed;
    if (trace != nullptr) o.trace = [trace](const std::string& line) { *trace << line << '\n'; };
    const SimReport rep = run_sim(o);
    SeedResult r;
    r.seed = seed;
    r.passed = rep.passed;
    r.sim_us = rep.sim_us;
    r.wall_us = static_cast<std::uint64_t>(rep.wall_seconds * 1e6);
    r.line = rep.summary(o);
    if (!rep.passed) {
        for (const auto& v : rep.violations) r.detail += "  violation: " + v + "\n";
        r.detail += "  replay: " + replay_command(o) + " --trace sim-" + std::to_string(seed) + ".trace\n";
    }
    return r;
}

struct Totals {
    std::uint64_t seeds = 0, failed = 0, sim_us = 0, wall_us = 0;
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point last_report = start;

    std::string line() const {
        const double minutes = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / 60.0;
        char buf[256];
        std::snprintf(buf, sizeof buf, "%llu seeds, %llu failed; %.1f seeds/min; %.0f simulated seconds per CPU second",
                      static_cast<unsigned long long>(seeds), static_cast<unsigned long long>(failed),
                      minutes > 0 ? static_cast<double>(seeds) / minutes : 0.0,
                      wall_us > 0 ? static_cast<double>(sim_us) / static_cast<double>(wall_us) : 0.0);
        return buf;
    }
};

void take(const SeedResult& r, Totals& t, bool quiet, bool forever) {
    ++t.seeds;
    if (!r.passed) ++t.failed;
    t.sim_us += r.sim_us;
    t.wall_us += r.wall_us;
    if (!quiet || !r.passed) std::cout << r.line << "\n" << r.detail << std::flush;
    const auto now = std::chrono::steady_clock::now();
    if (forever && now - t.last_report > std::chrono::seconds(30)) {
        std::cout << "sim-long: " << t.line() << std::endl;
        t.last_report = now;
    }
}

bool parse_range(const std::string& s, std::uint64_t& from, std::uint64_t& to) {
    const auto dots = s.find("..");
    try {
        std::size_t used = 0;
        if (dots == std::string::npos) {
            from = to = std::stoull(s, &used);
            return used == s.size();
        }
        from = std::stoull(s.substr(0, dots), &used);
        if (used != dots) return false;
        to = std::stoull(s.substr(dots + 2), &used);
        return used == s.size() - dots - 2 && from <= to && s[0] != '-';
    } catch (const std::exception&) {
        return false;
    }
}

int usage(const std::string& what) {
    std::cerr << "raftor sim: " << what << "\n";
    return 2;
}

}  // namespace

int run_sim_command(const SimCommand& cmd) {
    // The simulated nodes log with wall-clock stamps, which say nothing here: the trace
    // (--trace) is the run's log. LOG_LEVEL turns them back on.
    const char* level = std::getenv("LOG_LEVEL");
    if (!logging::init(level != nullptr ? level : "off", false, "sim")) return usage("LOG_LEVEL: unknown level");
    SimOptions o;
    if (cmd.nodes < 3 || cmd.nodes > 7)
        return usage("--nodes " + std::to_string(cmd.nodes) + ": a cluster has 3 to 7 nodes");
    o.nodes = cmd.nodes;
    const auto d = parse_duration_us(cmd.duration);
    if (!d || *d == 0) return usage("--duration '" + cmd.duration + "': expected a time like 120s, 500ms or 2m");
    o.duration_us = *d;
    std::string error;
    const auto mix = parse_faults(cmd.faults, error);
    if (!mix) return usage("--faults: " + error);
    o.faults = *mix;
    if (cmd.clients < 1 || cmd.clients > 64) return usage("--clients: 1 to 64");
    if (cmd.keys < 1 || cmd.keys > 1000) return usage("--keys: 1 to 1000");
    if (cmd.jobs < 1 || cmd.jobs > 256) return usage("--jobs: 1 to 256");
    if (cmd.operations != "on" && cmd.operations != "off")
        return usage("--operations '" + cmd.operations + "': on or off");
    o.operations = cmd.operations == "on";
    o.workload.clients = cmd.clients;
    o.workload.keys = cmd.keys;
    std::uint64_t from = cmd.seed, to = cmd.seed;
    if (!cmd.seeds.empty() && !parse_range(cmd.seeds, from, to))
        return usage("--seeds '" + cmd.seeds + "': expected A..B with A <= B (or one number)");
    if (cmd.forever) to = std::numeric_limits<std::uint64_t>::max();
    if (!cmd.trace_file.empty() && from != to) return usage("--trace: one seed at a time");

    Totals totals;
    if (from == to) {
        std::ofstream trace;
        if (!cmd.trace_file.empty()) {
            trace.open(cmd.trace_file);
            if (!trace) return usage("--trace: cannot write " + cmd.trace_file);
        }
        const SeedResult r = run_one(o, from, trace.is_open() ? &trace : nullptr);
        std::cout << r.line << "\n" << r.detail << std::flush;
        if (trace.is_open()) std::cout << "trace written to " << cmd.trace_file << "\n";
        return r.passed ? 0 : 1;
    }
    if (cmd.jobs == 1) {
        for (std::uint64_t s = from;; ++s) {
            take(run_one(o, s, nullptr), totals, cmd.quiet, cmd.forever);
            if (s == to) break;
        }
    } else {
        // Worker processes take every jobs-th seed and send one line per seed back.
        int fds[2];
        if (pipe(fds) != 0) return usage("cannot create a pipe for --jobs");
        std::vector<pid_t> workers;
        for (std::size_t k = 0; k < cmd.jobs && from + k <= to; ++k) {
            const pid_t pid = fork();
            if (pid == 0) {
                close(fds[0]);
                for (std::uint64_t s = from + k; s <= to; s += cmd.jobs) {
                    const std::string line = encode(run_one(o, s, nullptr));
                    if (write(fds[1], line.data(), line.size()) < 0) _exit(3);
                    if (to - s < cmd.jobs) break;
                }
                _exit(0);
            }
            if (pid < 0) return usage("cannot fork a worker for --jobs");
            workers.push_back(pid);
        }
        close(fds[1]);
        std::string buf;
        char chunk[8192];
        for (;;) {
            const ssize_t n = read(fds[0], chunk, sizeof chunk);
            if (n <= 0) break;
            buf.append(chunk, static_cast<std::size_t>(n));
            for (auto nl = buf.find('\n'); nl != std::string::npos; nl = buf.find('\n')) {
                if (auto r = decode(buf.substr(0, nl))) take(*r, totals, cmd.quiet, cmd.forever);
                buf.erase(0, nl + 1);
            }
        }
        close(fds[0]);
        bool workers_ok = true;
        for (pid_t p : workers) {
            int status = 0;
            waitpid(p, &status, 0);
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) workers_ok = false;
        }
        if (!workers_ok) {
            std::cout << "a worker process died before finishing its seeds\n";
            ++totals.failed;
        }
    }
    std::cout << "sim: " << totals.line() << std::endl;
    return totals.failed == 0 ? 0 : 1;
}

}  // namespace raftor::sim
