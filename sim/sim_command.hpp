#pragma once
// `raftor sim`: one seed, a range of seeds (in parallel processes when asked), or seeds
// without end (`--forever`, for `make sim-long`). The parsing of flags lives in main.cpp;
// this takes the values, checks them, and runs.
#include <cstdint>
#include <string>
#include <vector>

namespace raftor::sim {

struct SimCommand {
    std::uint64_t seed = 1;
    std::string seeds;  // "A..B": a range instead of one seed
    std::size_t nodes = 3;
    std::string duration = "30s";
    std::string faults = "all";
    std::string trace_file;  // one seed only: every event, with simulated time
    std::size_t jobs = 1;    // processes running seeds side by side
    std::size_t clients = 4;
    std::size_t keys = 5;
    std::string operations = "on";  // the operations half and its checkers: on or off
    bool forever = false;           // from --seed (or the range's start) on, until stopped
    bool quiet = false;             // with many seeds: print failures and totals only
};

// Prints a line per seed (PASS/FAIL, figures, trace hash) and, on failure, the command
// that replays it. Exit status: 0 all passed, 1 some failed, 2 bad arguments.
int run_sim_command(const SimCommand& cmd);

}  // namespace raftor::sim
