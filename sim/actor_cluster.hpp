#pragma once
// N raftor nodes, each every actor `raftor node` runs, assembled the same way
// (actors/node_assembly.hpp): the raft_peer with its storage, state machine and election
// timer; the scheduler, executor and receipt signer that act on the leader; the HTTP
// gateway, the introspector and the supervisor. All in one actor system on CAF's
// deterministic scheduler, with simulated time, the simulated network (sim_network.hpp)
// and simulated disks (node_disk.hpp).
// One seeded PRNG makes every choice: which actor runs next, every delay and drop,
// every fault. Same seed, same binary: same run, same trace hash.
#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "actors/node_assembly.hpp"
#include "runtime/raft/rng.hpp"
#include "sim/invariants.hpp"
#include "sim/node_disk.hpp"
#include "sim/sim_network.hpp"

namespace raftor::sim {

struct ClusterOptions {
    std::size_t nodes = 3;
    std::uint64_t seed = 1;
    std::uint32_t heartbeat_ms = 150;
    std::uint32_t election_timeout_ms = 1500;
    std::uint64_t snapshot_interval_ops = 100'000;
    std::size_t append_entries_max = 4096;
    std::size_t log_cache_bytes_max = 0;                                       // 0: every payload stays in memory
    std::size_t inflight_bytes_max = raft::Config{}.inflight_bytes_max;        // raft.inflightBytesMax
    std::size_t uncommitted_bytes_max = raft::Config{}.uncommitted_bytes_max;  // raft.uncommittedBytesMax
    // Every group commit takes a random time up to this (a real fsync is not instant);
    // a slow disk takes longer.
    std::uint64_t disk_latency_max_us = 5'000;
    // WAL segments are preallocated to this. Small, so that a disk-full fault reaches the
    // WAL within seconds rather than at the next of a node's 32 MiB segments.
    std::uint64_t wal_segment_bytes = 64 << 10;
    std::function<void(const std::string&)> trace;  // set: every event, with simulated time
    // The operations actors on every node, each reading its node's simulated wall clock
    // (which starts at wall_start_ms and can be stepped and made to drift). Off: the
    // nodes run without them (Raft and the key-value store only).
    bool operations = false;
    std::int64_t wall_start_ms = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
    std::uint32_t max_concurrent = 10;
    std::size_t history_max = 1'000'000;  // every execution of a run stays to be checked
};

class ActorCluster {
public:
    explicit ActorCluster(ClusterOptions opts);
    ~ActorCluster();
    ActorCluster(const ActorCluster&) = delete;
    ActorCluster& operator=(const ActorCluster&) = delete;

    // ---- driving
    // Runs one actor's next message (chosen by the PRNG among those runnable), or else
    // moves simulated time to the next timer. False when nothing is left at all.
    bool step();
    void run_for(std::uint64_t us);
    bool run_until(const std::function<bool()>& done, std::uint64_t max_us);
    std::uint64_t now_us() const;

    // ---- faults
    NetworkModel& network() { return *net_; }
    void partition(const std::vector<std::set<raft::NodeId>>& groups);  // no links across groups
    void block(raft::NodeId from, raft::NodeId to) { net_->blocked.insert({from, to}); }
    void heal() { net_->blocked.clear(); }
    void crash(raft::NodeId id);    // kills its actors now; loses what its disk did not sync
    void restart(raft::NodeId id);  // from what its disk holds
    // A brand-new node (the next id, an empty disk), started with no configuration: it
    // waits to be added as a learner by the leader, as `raftor node` with raft.join does.
    raft::NodeId add_node();
    // Clock skew and drift: the node's timers run at `percent` of the others' pace.
    void set_timer_pace(raft::NodeId id, int percent);
    // A slow disk: each group commit of the node waits a random time up to this
    // (the options' disk_latency_max_us is the normal).
    void set_disk_delay(raft::NodeId id, std::uint64_t max_us);
    std::uint64_t normal_disk_latency_us() const { return opts_.disk_latency_max_us; }
    NodeDisk& disk(raft::NodeId id);
    // A node's wall clock: stepped by `delta_ms` now (NTP, an operator, a resumed VM), or
    // drifting by `ppm` parts per million of simulated time from now on. Kept across
    // restarts, as a machine's clock is; `true_wall` ends both.
    void step_wall(raft::NodeId id, std::int64_t delta_ms);
    void drift_wall(raft::NodeId id, std::int64_t ppm);
    void true_wall(raft::NodeId id);
    std::int64_t wall_ms(raft::NodeId id) const;
    std::int64_t true_wall_ms() const;  // what every clock would read without faults

    // ---- observation
    std::size_t size() const { return nodes_.size(); }
    bool up(raft::NodeId id) const;
    caf::actor peer(raft::NodeId id) const;
    // A live actor of node `id` by its name ("executor", "storage", ...); null when none.
    caf::actor actor(raft::NodeId id, const std::string& name) const;
    raft::NodeId leader() const;  // a live node that leads in the highest term, or 0
    // What the node's core looked like after the last message it handled.
    struct View {
        raft::Role role = raft::Role::follower;
        raft::Term term = 0;
        raft::NodeId leader = 0;
        raft::Index commit = 0;
        raft::Index last_index = 0;
        std::vector<raft::NodeId> voters, learners;  // the configuration its log holds
    };
    const View& view(raft::NodeId id) const;
    // What a node's log took in, over all its incarnations: the bytes of the entries it
    // appended (Entry::size_bytes) and of the snapshots it installed from a leader.
    struct Intake {
        std::uint64_t entry_bytes = 0;
        std::uint64_t entries = 0;
        std::uint64_t snapshot_bytes = 0;
        std::uint64_t snapshots = 0;
        raft::Index last_index = 0;        // of the last entry or snapshot handed out for persisting
        std::uint64_t fetches = 0;         // reads of its entries back from its disk, as leader
        std::size_t cached_bytes_max = 0;  // the most payload bytes its log held in memory
    };
    const Intake& intake(raft::NodeId id) const;
    Invariants& invariants() { return inv_; }
    std::uint64_t trace_hash() const { return trace_hash_; }
    std::uint64_t jobs_run() const { return jobs_run_; }
    std::uint64_t crashes() const { return crashes_; }
    std::uint64_t stops() const { return stops_; }  // nodes that stopped themselves (storage failed)
    raft::Rng& rng() { return rng_; }
    caf::actor_system& system() { return sys_; }

    // An actor of node `id` was spawned / the node's supervisor stopped the node.
    void joined(raft::NodeId id, const std::string& name, const caf::actor& who);
    void stopped(raft::NodeId id, std::uint64_t incarnation, const std::string& why);
    // An actor of the simulation itself (network, client, operator), known by its job
    // until it ends: finding an unknown job's actor id costs a dynamic_cast each step.
    void watch(const caf::actor& who);
    void note(const std::string& what);  // into the trace and its hash
    // Into the trace only, for what the hash already covers (a client's answer is a job).
    bool tracing() const { return static_cast<bool>(opts_.trace); }
    void trace_line(const std::string& what);
    // Kills an actor of the simulation before any other runs.
    void kill_now(const caf::actor& a);
    // Runs `look` on node `id`'s state (as query_local does: no read index), running the
    // simulation until it answers; false when the node is down or does not answer.
    bool look(raft::NodeId id, node::Query look, std::uint64_t max_us = 2'000'000);
    // An HTTP request to node `id`'s gateway, as its HTTP server hands one over (from
    // loopback), running the simulation until it is answered; nothing when the node is
    // down or does not answer. A body that starts with `{` goes as JSON.
    std::optional<http::Response> http(raft::NodeId id, const std::string& method, const std::string& target,
                                       const std::string& body = {}, std::uint64_t max_us = 5'000'000);
    // Requests given to http() that a gateway answered more than once, ever.
    std::uint64_t answered_twice() const { return answered_twice_; }
    // Told of every entry each node commits, in log order per node (Raft makes the
    // entries of one index equal on every node).
    void on_committed(std::function<void(raft::NodeId, const raft::Entry&)> f) { committed_ = std::move(f); }
    // Told of every handler a node's executor launches: (node, execution, try).
    using Launched = std::function<void(raft::NodeId, std::uint64_t, std::uint32_t)>;
    void on_launch(Launched f) { launched_ = std::move(f); }
    const ClusterOptions& options() const { return opts_; }

private:
    struct Node;
    class Observer;
    Node& node(raft::NodeId id);
    const Node& node(raft::NodeId id) const;
    Node& make_node();
    void start(Node& n);
    void kill_actors(Node& n);
    void mix(std::uint64_t v);

    ClusterOptions opts_;
    raft::Rng rng_;
    caf::actor_system_config cfg_;
    caf::actor_system sys_;
    caf::scheduler::test_coordinator& sched_;
    std::shared_ptr<NetworkModel> net_;
    caf::actor network_;
    std::vector<std::unique_ptr<Node>> nodes_;
    std::map<caf::actor_id, std::pair<raft::NodeId, std::string>> actors_;  // id -> (node, actor name)
    // Storage actors, by what the scheduler queues for them: their disks' latency holds them.
    // A handful (one per node), scanned for every queued job at every step: a flat list
    // beats hashing here.
    struct StorageJob {
        const caf::resumable* job;
        raft::NodeId node;
        std::uint64_t held_until;  // 0: not held now
    };
    std::vector<StorageJob> storage_jobs_;
    // Every actor's job and id. A few dozen: a scan of this array is quicker than a hash
    // table's lookup, which cost a third of a step.
    std::vector<std::pair<const caf::resumable*, caf::actor_id>> job_ids_;
    caf::actor_id id_of_job(const caf::resumable* job) const;
    void forget_job(const caf::resumable* job);
    std::vector<std::size_t> runnable_;
    Invariants inv_;
    std::uint64_t incarnations_ = 0;
    std::uint64_t trace_hash_ = 1469598103934665603ull;
    std::uint64_t jobs_run_ = 0, crashes_ = 0, stops_ = 0;
    bool closing_ = false;
    std::uint64_t answered_twice_ = 0;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // false once this cluster is gone
    std::function<void(raft::NodeId, const raft::Entry&)> committed_;
    Launched launched_;
};

}  // namespace raftor::sim
