#pragma once
// The simulator's clients: actors that put, get, delete and compare-and-set a small key
// set through the nodes' raft_peers, the way the HTTP gateway does, and record every
// request as a KvOp with simulated invoke and complete times for the linearizability
// checker. Each write's value is unique, so a value read names the write that made it.
#include <caf/all.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sim/actor_cluster.hpp"
#include "sim/linearizability.hpp"

namespace raftor::sim {

struct WorkloadOptions {
    std::size_t clients = 4;
    std::size_t keys = 5;
    std::uint64_t think_max_us = 30'000;  // pause between one client's requests
    // Each request waits between these for an answer, then its outcome is unknown.
    // Impatient clients move on to another node sooner; patient ones see slow commits.
    std::uint64_t timeout_min_us = 500'000;
    std::uint64_t timeout_max_us = 4'000'000;
    std::uint64_t read_percent = 40;  // of requests; the rest are puts, deletes and compare-and-sets
    std::size_t value_padding = 0;    // bytes added to each written value
};

class Workload {
public:
    Workload(ActorCluster& cluster, WorkloadOptions opts);
    ~Workload();
    Workload(const Workload&) = delete;
    Workload& operator=(const Workload&) = delete;

    // The clients start issuing requests / issue no new ones (those in flight finish).
    void start();
    void stop() { stopped_ = true; }
    // Changes the mix from the next request on (a read-heavy phase, say).
    void set_read_percent(std::uint64_t p) { opts_.read_percent = p; }
    bool in_flight() const { return in_flight_ > 0; }

    const std::vector<KvOp>& history() const { return history_; }
    struct Counts {
        std::uint64_t ok = 0, failed = 0, unknown = 0;  // as recorded in the history
        std::uint64_t refused = 0;                      // not the leader: left out
        std::uint64_t writes_ok = 0;                    // acknowledged writes
        std::uint64_t invalid = 0;                      // refused as invalid: a bug, the requests are valid
    };
    const Counts& counts() const { return counts_; }
    // When the latest-sent write that was acknowledged was sent: the liveness check's
    // progress (a write sent after the heal and acknowledged).
    std::uint64_t last_acked_write_invoke() const { return last_acked_write_invoke_; }

    // For the client actors.
    struct Request {
        KvOp op;
        state::KvCommand cmd;  // a write
        raft::NodeId node = 0;
    };
    bool stopped() const { return stopped_; }
    Request next(std::uint64_t client);
    void completed(std::uint64_t client, Request req, const node::Completion* c, bool lost);
    const WorkloadOptions& options() const { return opts_; }
    ActorCluster& cluster() { return cluster_; }

private:
    raft::NodeId pick_node(std::uint64_t client);

    ActorCluster& cluster_;
    WorkloadOptions opts_;
    std::vector<caf::actor> clients_;
    std::vector<KvOp> history_;
    Counts counts_;
    std::map<std::string, std::pair<std::uint64_t, std::optional<std::string>>> latest_;  // key -> (revision, value)
    std::map<std::uint64_t, raft::NodeId> leader_of_;  // each client's idea of the leader
    std::uint64_t next_value_ = 0;
    std::uint64_t last_acked_write_invoke_ = 0;
    std::size_t in_flight_ = 0;
    bool stopped_ = false;
};

}  // namespace raftor::sim
