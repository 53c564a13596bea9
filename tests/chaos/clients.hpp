#pragma once
// Concurrent KV clients against every node: reads, writes, compare-and-sets and
// deletes on a few keys, each recorded with the real times of its call and answer.
// Written values are unique ("c<client>-<n>"), so a value names the write that made it
// and a compare-and-set's revision names the value it expects.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "tests/chaos/history.hpp"
#include "tests/chaos/netns_cluster.hpp"

namespace raftor::chaos {

struct ClientOptions {
    int clients = 6;
    int keys = 12;
    std::uint64_t seed = 1;
    std::chrono::milliseconds timeout{3000};  // no answer by then: the outcome is unknown
    // Each value written is "c<client>-<n>|" padded to this size, so the log grows fast
    // enough for a full disk to bite; the history keeps the part before the '|'.
    std::size_t value_bytes = 512;
};

class Clients {
public:
    using Clock = std::chrono::steady_clock;
    Clients(const NetnsCluster& cluster, ClientOptions opts, Clock::time_point epoch)
        : c_(cluster), opts_(opts), epoch_(epoch) {}
    ~Clients() { stop(); }

    void start();
    void stop();  // waits for the operations in flight
    // Every key read from every node, one after the other (recorded as client 1000+i).
    void read_everything();
    std::vector<Op> history() const;
    std::string key(int k) const { return "k" + std::to_string(k); }

private:
    struct Known {
        std::optional<std::string> value;
        std::uint64_t revision = 0;
    };
    void run(std::uint64_t client);
    Op call(std::uint64_t client, int node, Fn fn, const std::string& key, const std::optional<std::string>& value,
            const Known* expect, Known* learned);
    void record(Op op);
    std::string padded(const std::string& value) const;
    std::string unpadded(const std::string& stored) const;
    std::uint64_t now_us() const {
        return static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - epoch_).count());
    }

    const NetnsCluster& c_;
    ClientOptions opts_;
    Clock::time_point epoch_;
    std::atomic<bool> stopping_{false};
    std::vector<std::thread> threads_;
    mutable std::mutex mu_;
    std::vector<Op> ops_;
};

}  // namespace raftor::chaos
