#pragma once
// The cluster under test: `raftor node` processes, node i (0-based) in network
// namespace PREFIX-n<i+1> at SUBNET.<11+i>, its data dir a tmpfs at WORK/node-<i+1>/data
// and its log beside it (chaos.sh made the namespaces and the mounts). This process runs
// in the client namespace and reaches every node over the bridge. What it can do to a
// node is what the nemeses need: signals, iptables rules in its namespace, filling its
// disk, moving its wall clock (through libfaketime, when installed).
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "runtime/http/client.hpp"
#include "tests/cluster/process_cluster.hpp"

namespace raftor::chaos {

struct ClusterSpec {
    std::string bin;  // the raftor binary
    std::filesystem::path work;
    std::string ns_prefix;
    std::string subnet;    // "10.213.0"
    std::string faketime;  // libfaketimeMT.so, empty: no clock nemesis
    int nodes = 3;
    std::uint32_t heartbeat_ms = 100;
    std::uint32_t election_timeout_ms = 1000;
    // Small WAL segments and frequent snapshots: a full disk bites within seconds (a new
    // segment cannot be made), and a node that was down catches up by snapshot.
    std::uint64_t wal_segment_bytes = std::uint64_t{1} << 20;
    std::uint64_t snapshot_interval_ops = 5000;
};

class NetnsCluster {
public:
    static constexpr std::uint16_t http_port = 8080;
    static constexpr std::uint16_t peer_port = 7000;

    explicit NetnsCluster(ClusterSpec spec);
    const std::string& token() const { return token_; }
    ~NetnsCluster();

    int size() const { return spec_.nodes; }
    std::string name(int i) const { return "node-" + std::to_string(i + 1); }
    std::string ip(int i) const { return spec_.subnet + "." + std::to_string(11 + i); }
    std::string http_address(int i) const { return ip(i) + ":" + std::to_string(http_port); }
    std::string ns(int i) const { return spec_.ns_prefix + "-n" + std::to_string(i + 1); }
    std::filesystem::path dir(int i) const { return spec_.work / name(i); }
    std::filesystem::path data_dir(int i) const { return dir(i) / "data"; }
    bool can_jump_clocks() const { return !spec_.faketime.empty(); }
    int index_of(const std::string& name) const;

    void start(int i);
    bool running(int i) const { return procs_[i] && procs_[i]->running(); }
    bool paused(int i) const { return paused_[i]; }
    void kill(int i);    // SIGKILL, reaped
    void pause(int i);   // SIGSTOP
    void resume(int i);  // SIGCONT
    // Appends a line to the node's log, so a reader sees the nemesis where it acted.
    void mark(int i, const std::string& what) const;

    // iptables in node i's namespace, e.g. {"-A", "INPUT", "-s", ip, "-j", "DROP"}.
    void iptables(int i, const std::vector<std::string>& args) const;
    void flush_rules(int i) const;
    // Fills node i's tmpfs to the last byte (a file beside the data); unfill removes it.
    std::uint64_t fill_disk(int i) const;
    void unfill_disk(int i) const;
    // Node i's wall clock is the real one plus `seconds` (libfaketime re-reads within 1 s).
    void set_clock_offset(int i, std::int64_t seconds) const;

    http::ClientResult call(int i, const std::string& method, const std::string& target, const std::string& body = {},
                            std::chrono::milliseconds timeout = std::chrono::seconds(3)) const;
    // The leader the running, unpaused nodes name with the highest term; only when a
    // majority of all members names it.
    std::optional<int> leader() const;
    // True once every running node names the same leader and has applied all it knows
    // is committed.
    bool settled() const;

    // What each node used over the whole run, across its restarts: the peak resident set
    // of any of its processes (VmHWM) and the bytes its transport sent to peers. Taken by
    // sample(), every half second from the driver, and at each kill.
    struct Usage {
        std::uint64_t peak_rss_kb = 0;
        std::uint64_t peer_bytes_out = 0;
    };
    void sample();
    Usage usage(int i) const;

private:
    std::optional<nlohmann::json> view_with_leader(int i) const;

    ClusterSpec spec_;
    std::string token_;                         // the nodes' auth.token: clients reach them from another host
    std::uint64_t peak_rss_kb_of(int i) const;  // of the running process; 0 if unknown
    void note_peer_bytes(int i, std::uint64_t incarnation);

    std::vector<std::unique_ptr<testing::Child>> procs_;
    std::vector<bool> paused_;
    // The sampler thread reads what the nemesis thread starts and kills.
    mutable std::mutex usage_mu_;
    std::vector<std::uint64_t> incarnation_;
    std::vector<std::uint64_t> peak_rss_kb_;
    std::vector<std::map<std::uint64_t, std::uint64_t>> peer_bytes_;  // by incarnation: the last count seen
};

}  // namespace raftor::chaos
