#pragma once
// The faults the chaos run injects into the cluster and how each is healed. Each fault
// picks its target from the cluster as it is (usually the leader) and records what it
// did, for the summary and in the targets' logs.
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "tests/chaos/netns_cluster.hpp"

namespace raftor::chaos {

enum class Kind : std::uint8_t {
    isolate_leader,  // the leader cut off from every other node, both ways
    split,           // a random minority cut off from the majority (2/3 of 5, 1/2 of 3)
    asymmetric,      // the leader hears no one, or no one hears the leader: one way only
    kill,            // SIGKILL (the leader mostly), restarted at the heal
    pause,           // SIGSTOP on the leader, SIGCONT at the heal: a leader that wakes up
    disk_full,       // the leader's data dir (a tmpfs) filled to the last byte
    clock_jump,      // the leader's wall clock moved by tens of seconds (libfaketime)
};
const char* to_string(Kind k);
// "partition,kill,..." -> kinds; throws naming an unknown one.
std::vector<Kind> parse_kinds(const std::string& list);
std::vector<Kind> all_kinds();

struct Fault {
    Kind kind = Kind::kill;
    std::vector<int> nodes;    // the nodes it acted on
    std::int64_t clock_s = 0;  // clock_jump: the offset
    std::string text;          // what it did, for the summary
};

class Nemesis {
public:
    Nemesis(NetnsCluster& cluster, std::uint64_t seed) : c_(cluster), rng_(seed) {}

    Fault begin(Kind k);
    void heal(const Fault& f);
    // Every fault undone: rules flushed, nodes resumed and restarted, disks emptied,
    // clocks real.
    void heal_all();

private:
    int target_leader();  // the leader if known, else a random running node
    void cut(int a, int b, bool in, bool out);

    NetnsCluster& c_;
    std::mt19937_64 rng_;
};

}  // namespace raftor::chaos
