#pragma once
// N Raft cores in one thread with a simulated network and disk, driven by one seed.
// The network drops, delays (so reorders), duplicates and partitions messages; the
// disk keeps "written" apart from "synced", so a crash loses exactly what was not
// durable. A toy state machine (a running hash) shows state-machine safety.
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <set>
#include <string>
#include <vector>

#include "runtime/raft/raft.hpp"
#include "runtime/raft/rng.hpp"
#include "sim/disk.hpp"
#include "sim/invariants.hpp"

namespace raftor::sim {

using raft::Index;
using raft::NodeId;
using raft::Term;

struct Faults {
    double drop = 0;       // probability a message is lost
    double duplicate = 0;  // probability a message is delivered twice
    std::uint64_t delay_min_us = 100;
    std::uint64_t delay_max_us = 2000;  // random in [min, max]: reordering
    std::uint64_t sync_min_us = 50;
    std::uint64_t sync_max_us = 1000;
    // A lying disk: acknowledges a hard-state write (term, vote) without keeping
    // it, with this probability. Breaks Raft on purpose to prove the checkers bite.
    double lose_hard_state = 0;
};

struct StateMachine {
    Index applied = 0;
    std::uint64_t hash = 0;  // fold of every applied payload
    std::uint64_t count = 0;
    std::string encode() const;
    bool decode(const std::string& s);
};

struct Node {
    NodeId id = 0;
    std::unique_ptr<raft::Raft> core;
    bool up = true;
    Disk disk;
    struct PendingWrite {
        std::uint64_t persist_id;
        std::optional<raft::HardState> hs;
        std::vector<raft::Entry> entries;
        std::optional<raft::Snapshot> snapshot;
    };
    std::deque<PendingWrite> pending;  // written, not yet synced
    StateMachine sm;
    std::uint64_t incarnation = 0;
    std::uint64_t tick_us = 10'000;  // this node's tick period: skew changes it
};

class CoreCluster {
public:
    // Nodes 1..n; the first `voters` (all when 0) form the bootstrap configuration,
    // the rest start empty and can be added as members.
    CoreCluster(std::size_t n, std::uint64_t seed, raft::Config base = {}, std::size_t voters = 0);

    // ---- driving
    std::uint64_t now_us() const { return now_us_; }
    bool step();  // runs the next event; false if none
    void run_for(std::uint64_t us);
    bool run_until(const std::function<bool()>& done, std::uint64_t max_us);

    // ---- faults
    Faults faults;
    void partition(const std::vector<std::set<NodeId>>& groups);  // no links across groups
    void block(NodeId from, NodeId to) { blocked_.insert({from, to}); }
    void heal() { blocked_.clear(); }
    void isolate(NodeId id);
    void crash(NodeId id);
    void restart(NodeId id);
    void set_tick_us(NodeId id, std::uint64_t us) { node(id).tick_us = us; }

    // ---- clients
    raft::Proposed propose(NodeId id, std::string payload);
    NodeId leader() const;  // the leader of the highest term among live nodes, or 0
    NodeId wait_for_leader(std::uint64_t max_us);
    // Proposes through the leader and waits until every live node applied it.
    bool replicate(std::string payload, std::uint64_t max_us);
    // Asks node `id` for a read index; the invariant checker verifies the answer.
    raft::Error read(NodeId id);
    // Let nodes compact their log once it holds this many applied entries (0 = never).
    Index compact_every = 0;

    // ---- observation
    Node& node(NodeId id) { return *nodes_.at(id - 1); }
    const Node& node(NodeId id) const { return *nodes_.at(id - 1); }
    raft::Raft& core(NodeId id) { return *node(id).core; }
    std::size_t size() const { return nodes_.size(); }
    Invariants& invariants() { return inv_; }
    std::uint64_t messages_delivered() const { return delivered_; }
    // Entries carried by the appends delivered to `to`: what replication cost it.
    std::uint64_t entries_delivered(NodeId to) const {
        auto it = entries_delivered_.find(to);
        return it == entries_delivered_.end() ? 0 : it->second;
    }
    std::uint64_t snapshots_installed() const { return snapshots_installed_; }
    // A compact record of the run: same seed, same trace.
    std::uint64_t trace_hash() const { return trace_hash_; }
    // Called once after every event (the invariant checks, and tests' own probes).
    void process(NodeId id);

private:
    struct Event {
        std::uint64_t time;
        std::uint64_t seq;
        enum Kind { deliver, tick, sync } kind;
        NodeId node;
        std::uint64_t incarnation;
        raft::Message msg;
    };
    struct Later {
        bool operator()(const Event& a, const Event& b) const {
            return a.time != b.time ? a.time > b.time : a.seq > b.seq;
        }
    };
    void schedule(Event e);
    void send(const raft::Message& m);
    void sync_one(Node& n);
    void apply(Node& n, const raft::Entry& e);
    void start_core(Node& n);
    void trace(std::uint64_t a, std::uint64_t b, std::uint64_t c);

    raft::Config base_;
    raft::Rng rng_;
    std::vector<std::unique_ptr<Node>> nodes_;
    std::priority_queue<Event, std::vector<Event>, Later> events_;
    std::set<std::pair<NodeId, NodeId>> blocked_;
    std::uint64_t now_us_ = 0;
    std::uint64_t seq_ = 0;
    std::uint64_t delivered_ = 0;
    std::map<NodeId, std::uint64_t> entries_delivered_;
    std::uint64_t read_counter_ = 0;
    std::uint64_t snapshots_installed_ = 0;
    std::uint64_t trace_hash_ = 1469598103934665603ull;
    Invariants inv_;
};

}  // namespace raftor::sim
