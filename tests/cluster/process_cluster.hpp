#pragma once
// Real `raftor node` processes on loopback, for tests that must see the binary, its
// sockets, its fsyncs and its timers. Ports are picked free by the test; data and logs
// live in a temporary directory that is removed afterwards (kept when a test failed
// and RAFTOR_KEEP_TEST_DIRS is set). Every process is killed when the cluster object
// goes away, whatever happened.
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "runtime/http/client.hpp"

namespace raftor::testing {

struct ClusterOptions {
    int nodes = 3;
    std::uint32_t heartbeat_ms = 100;
    std::uint32_t election_timeout_ms = 1000;
    std::string auth_token;  // empty: no auth
    std::string read_token;  // auth.readToken (with auth_token)
    std::uint64_t max_body_bytes = 1 << 20;
    std::string extra_json;   // appended inside the config object: "\"k\": v, "; {node} is the node's name
    std::string listen_json;  // appended inside the config's "listen" object: ", \"k\": v"
    bool https = false;       // give each node an HTTPS port too (needs tls in extra_json)
    // Nodes from this index on start with --join (outside the configuration, to be added
    // with `ctl member add`); the first `initial` bootstrap the cluster. 0: all bootstrap.
    int initial = 0;
    std::uint64_t snapshot_interval_ops = 0;            // 0: the default
    std::string cluster_secret;                         // set: peers prove it (peer.secretFile, a file per node)
    std::map<std::string, std::uint64_t> raft_numbers;  // more keys of the "raft" object
};

class ProcessCluster {
public:
    explicit ProcessCluster(ClusterOptions opts);
    ~ProcessCluster();
    ProcessCluster(const ProcessCluster&) = delete;
    ProcessCluster& operator=(const ProcessCluster&) = delete;

    int size() const { return opts_.nodes; }
    const ClusterOptions& options() const { return opts_; }
    std::string name(int i) const { return "node-" + std::to_string(i + 1); }
    std::string http_address(int i) const { return "127.0.0.1:" + std::to_string(http_ports_[i]); }
    std::string https_address(int i) const { return "127.0.0.1:" + std::to_string(https_ports_[i]); }
    std::uint16_t peer_port(int i) const { return peer_ports_[i]; }
    std::string peer_address(int i) const { return "127.0.0.1:" + std::to_string(peer_ports_[i]); }
    std::filesystem::path dir(int i) const { return root_ / name(i); }
    std::string log(int i) const;  // the node's log so far

    void start_all();
    void start(int i);
    bool running(int i) const { return pids_[i] > 0; }
    void kill(int i, int signal);  // SIGKILL: gone at once
    // SIGTERM, then wait; returns the exit status (-1 when it did not exit in time).
    int stop(int i, std::chrono::milliseconds wait = std::chrono::seconds(10));

    http::ClientResult call(int i, const std::string& method, const std::string& target, const std::string& body = {},
                            std::vector<std::pair<std::string, std::string>> headers = {},
                            std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;

    // The index of the node all running nodes name as leader, once they agree.
    std::optional<int> agreed_leader(std::chrono::milliseconds within) const;
    // Starts every node and returns the leader they agree on; throws (with every
    // node's log) when they do not agree within `within`.
    int start_and_elect(std::chrono::milliseconds within = std::chrono::seconds(15));
    int index_of(const std::string& name) const;

private:
    ClusterOptions opts_;
    std::filesystem::path root_;
    std::vector<std::uint16_t> http_ports_, peer_ports_, https_ports_;
    std::vector<pid_t> pids_;
};

// For liveness checks on a loaded machine: true once `pred` holds, within `within`.
template <class P>
bool eventually(P pred, std::chrono::milliseconds within = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    do {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } while (std::chrono::steady_clock::now() < deadline);
    return false;
}

// A free TCP port on 127.0.0.1 (bound, read, released).
std::uint16_t free_port();
// A process of another program (a Prometheus server, ...) for the length of a test:
// started with stdout and stderr to `output_file`, SIGKILLed when it goes out of scope.
class Child {
public:
    Child(const std::vector<std::string>& argv, const std::string& output_file);
    ~Child();
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    bool running() const;  // false once it exited
    pid_t pid() const { return pid_; }

private:
    mutable std::atomic<pid_t> pid_ = 0;  // 0 once reaped; asked from the chaos driver's threads
};

// Runs `argv` to completion; returns its exit status and what it wrote to stdout and stderr.
int run_command(const std::vector<std::string>& argv, std::string& output);

}  // namespace raftor::testing
