#pragma once
// Which faults `raftor sim` injects and how often: `--faults partition=3,crash,drop`.
// Each kind is off, on (weight 1) or weighted; the nemesis picks among them by weight.
#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace raftor::sim {

enum class Fault : std::uint8_t {
    drop,         // messages lost at random
    delay,        // a slow network: long delays
    dup,          // messages delivered twice
    reorder,      // widely varying delays: messages overtake each other
    partition,    // isolate the leader, split minority/majority, a bridge node, or one direction cut
    crash,        // a node dies (losing what it had not synced) and restarts later
    kill_leader,  // the leader dies and restarts later
    power,        // every node loses power at once (each keeps only what it synced); all restart later
    skew,         // one node's timers run fast or slow
    slow_disk,    // one node's group commits take long
    fsync,        // one node's fsync fails: it must stop, not go on with a bad disk
    disk_full,    // one node's disk fills: it must stop taking writes, not corrupt its state, and
                  // take them again once there is room (at the heal), without a restart
    clock,        // one node's wall clock steps back or forward, or drifts (the operations' time)
    admin,        // an operator's action: transfer leadership, drain a node, snapshot now, or remove a
                  // voter (the leader too) and add it back as a learner, then promote it
};
constexpr std::size_t fault_kinds = 14;
const char* fault_name(Fault f);

struct FaultMix {
    std::array<std::uint32_t, fault_kinds> weight{};
    std::uint32_t total() const;
    std::uint32_t of(Fault f) const { return weight[static_cast<std::size_t>(f)]; }
    std::string to_string() const;  // the canonical spelling, for replay commands

    static FaultMix all();
};

// "all", "none", or a comma-separated list of `kind` or `kind=weight` (0 turns one off;
// after "all", a kind's weight overrides). On bad input: nothing, and `error` names it.
std::optional<FaultMix> parse_faults(const std::string& spec, std::string& error);

}  // namespace raftor::sim
