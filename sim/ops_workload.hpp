#pragma once
// The simulator's operator: registers a set of operations through the node it believes
// leads - cron and @every schedules, event triggers with and without a filter, retries
// with backoff, timeouts, a handler that hangs, concurrency forbid - then publishes
// events and runs an operation by hand now and then, as a client of the gateway does.
// The handlers are built-ins, processes and HTTP calls: durations, exit codes, HTTP
// statuses and hangs on the simulated clock (sim_handlers.hpp).
#include <caf/all.hpp>
#include <cstdint>
#include <vector>

#include "runtime/state/operation.hpp"
#include "sim/actor_cluster.hpp"

namespace raftor::sim {

struct OpsWorkloadOptions {
    std::uint64_t think_min_us = 200'000;  // between one request and the next
    std::uint64_t think_max_us = 1'500'000;
    std::uint64_t timeout_us = 2'000'000;  // a request unanswered this long is given up
};

class OpsWorkload {
public:
    OpsWorkload(ActorCluster& cluster, OpsWorkloadOptions opts = {});
    ~OpsWorkload();
    OpsWorkload(const OpsWorkload&) = delete;
    OpsWorkload& operator=(const OpsWorkload&) = delete;

    // What it registers, in order.
    static std::vector<state::OperationSpec> operations();

    void start();
    void stop() { stopped_ = true; }
    bool stopped() const { return stopped_; }
    bool in_flight() const { return in_flight_; }

    struct Counts {
        std::uint64_t defined = 0;          // operations known to be registered
        std::uint64_t events = 0;           // published and applied
        std::uint64_t runs = 0;             // manual runs applied
        std::uint64_t unknown = 0;          // no answer: may or may not have applied
        std::uint64_t refused = 0;          // not the leader, or refused before the log
        std::uint64_t rejected = 0;         // valid requests the state refused: a bug
        std::vector<std::string> problems;  // what the rejected ones said
    };
    const Counts& counts() const { return counts_; }

    // For the operator actor.
    struct Request {
        raft::NodeId node = 0;
        std::string command;  // an encoded OpsCommand
        enum class Kind : std::uint8_t { define, event, run } kind = Kind::define;
    };
    Request next();
    void completed(const Request& req, const node::Completion* c);
    ActorCluster& cluster() { return cluster_; }
    const OpsWorkloadOptions& options() const { return opts_; }

private:
    ActorCluster& cluster_;
    OpsWorkloadOptions opts_;
    std::vector<state::OperationSpec> specs_;
    caf::actor operator_;
    Counts counts_;
    raft::NodeId leader_hint_ = 0;
    bool in_flight_ = false;
    bool stopped_ = false;
};

}  // namespace raftor::sim
