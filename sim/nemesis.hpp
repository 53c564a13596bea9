#pragma once
// The simulator's adversary: it picks faults from the mix by weight, applies them to
// the cluster for a random while, and takes each back when its time is up (a crashed
// node restarts, a partition heals, a skewed clock runs true again). `heal` ends every
// fault at once: the quiet phase at the end of a run.
#include <array>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "sim/actor_cluster.hpp"
#include "sim/faults.hpp"

namespace raftor::sim {

class Nemesis {
public:
    Nemesis(ActorCluster& cluster, FaultMix mix);

    // Starts one fault, chosen by weight, lasting up to `max_us`; nothing when the mix is empty.
    void strike(std::uint64_t max_us);
    // Takes back the faults whose time is up.
    void expire();
    // Ends every fault: network whole and prompt, every node up, clocks and disks sound.
    void heal();
    // Carries on what an operator started: a removed voter is added back as a learner,
    // then promoted, asking again every half second until it is a voter. Called as the
    // run goes, the quiet phase included.
    void settle();

    std::uint64_t struck(Fault f) const { return struck_[static_cast<std::size_t>(f)]; }
    std::uint64_t struck_total() const;
    std::string summary() const;  // "partition 4, crash 2, ..."
    // Disk-full faults that made the disk refuse a write before they ended: a fault that
    // never bit (room kept in reserve by preallocation, say) tested nothing.
    std::uint64_t disk_full_bit() const { return disk_full_bit_; }

private:
    struct Active {
        Fault fault;
        raft::NodeId node = 0;
        std::uint64_t until = 0;
        int action = 0;              // admin: which one
        std::uint64_t refusals = 0;  // disk-full: the disk's refusals when it struck
    };
    enum Admin : int { transfer, drain, snapshot_now, remove, join };
    void admin(Active& a);
    void admin_undo(const Active& a);
    void apply(Active& a);
    void undo(const Active& a);
    raft::NodeId random_up_node();
    void partition_some_way();

    ActorCluster& c_;
    FaultMix mix_;
    std::vector<Active> active_;
    std::set<raft::NodeId> removed_;    // voters an operator took out, for now
    std::set<raft::NodeId> returning_;  // ... being added back as learners and promoted (or brand-new)
    bool joined_ = false;               // a brand-new node was added this run
    std::uint64_t next_settle_ = 0;
    std::array<std::uint64_t, fault_kinds> struck_{};
    std::uint64_t disk_full_bit_ = 0;
    // The network's settings when no fault is on.
    double drop_ = 0, duplicate_ = 0;
    std::uint64_t delay_min_us_ = 0, delay_max_us_ = 0;
};

}  // namespace raftor::sim
