#include "tests/chaos/netns_cluster.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace raftor::chaos {

namespace {

constexpr const char* filler = "chaos-disk-filler";

}  // namespace

NetnsCluster::NetnsCluster(ClusterSpec spec)
    : spec_(std::move(spec)),
      procs_(spec_.nodes),
      paused_(spec_.nodes),
      incarnation_(spec_.nodes),
      peak_rss_kb_(spec_.nodes),
      peer_bytes_(spec_.nodes) {
    std::string members;
    for (int i = 0; i < size(); ++i)
        members += (i ? "," : "") + name(i) + "=" + ip(i) + ":" + std::to_string(peer_port);
    // The nodes listen beyond loopback: their peers prove a shared secret, and the
    // clients (another host) a token.
    auto random_hex = [] {
        std::string out;
        std::ifstream urandom("/dev/urandom", std::ios::binary);
        static const char* hex = "0123456789abcdef";
        for (int k = 0; k < 32; ++k) {
            const auto b = static_cast<unsigned char>(urandom.get());
            out += hex[b >> 4];
            out += hex[b & 15];
        }
        return out;
    };
    const std::string secret = random_hex();
    token_ = random_hex();
    for (int i = 0; i < size(); ++i) {
        const auto secret_file = dir(i) / "cluster.secret";
        std::ofstream(secret_file) << secret << "\n";
        std::filesystem::permissions(secret_file,
                                     std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                     std::filesystem::perm_options::replace);
        nlohmann::json cfg{
            {"clusterId", "chaos"},
            {"nodeId", name(i)},
            {"clusterNodes", members},
            {"dataDir", data_dir(i).string()},
            {"storageWalSegmentBytes", spec_.wal_segment_bytes},
            {"peer", {{"secretFile", secret_file.string()}}},
            {"auth", {{"token", token_}}},
            {"listen", {{"http", http_address(i)}, {"peer", ip(i) + ":" + std::to_string(peer_port)}}},
            {"raft",
             {{"enabled", true},
              {"heartbeatIntervalMs", spec_.heartbeat_ms},
              {"electionTimeoutMs", spec_.election_timeout_ms},
              {"snapshotIntervalOps", spec_.snapshot_interval_ops},
              // The smallest log cache: a node back from a partition or a crash is sent
              // entries read back from the leader's WAL, not from memory.
              {"logCacheBytes", 2 << 20}}},
        };
        std::ofstream(dir(i) / "config.json") << cfg.dump(2) << "\n";
        std::filesystem::permissions(dir(i) / "config.json",  // it holds the token
                                     std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                     std::filesystem::perm_options::replace);
        set_clock_offset(i, 0);
    }
}

NetnsCluster::~NetnsCluster() {
    for (int i = 0; i < size(); ++i) kill(i);
}

int NetnsCluster::index_of(const std::string& n) const {
    for (int i = 0; i < size(); ++i)
        if (name(i) == n) return i;
    return -1;
}

void NetnsCluster::start(int i) {
    if (running(i)) throw std::logic_error(name(i) + " is already running");
    // `ip netns exec` enters the namespace and execs: the pid is the node's.
    std::vector<std::string> argv{"ip", "netns", "exec", ns(i), "env"};
    if (!spec_.faketime.empty()) {
        argv.push_back("LD_PRELOAD=" + spec_.faketime);
        argv.push_back("FAKETIME_TIMESTAMP_FILE=" + (dir(i) / "clock").string());
        argv.push_back("FAKETIME_DONT_FAKE_MONOTONIC=1");  // timers and timeouts keep real time
        argv.push_back("FAKETIME_CACHE_DURATION=1");
        // libfaketime comes before ASan's runtime in an ASan build's library list.
        const char* asan = std::getenv("ASAN_OPTIONS");
        argv.push_back(std::string("ASAN_OPTIONS=") + (asan ? std::string(asan) + ":" : "") +
                       "verify_asan_link_order=0");
    }
    argv.insert(argv.end(), {spec_.bin, "node", "--config", (dir(i) / "config.json").string()});
    mark(i, "started");
    auto child = std::make_unique<testing::Child>(argv, (dir(i) / "raftor.log").string());
    std::lock_guard lock(usage_mu_);
    procs_[i] = std::move(child);
    paused_[i] = false;
    ++incarnation_[i];
}

void NetnsCluster::kill(int i) {
    if (!procs_[i]) return;
    std::uint64_t incarnation = 0;
    {
        std::lock_guard lock(usage_mu_);
        peak_rss_kb_[i] = std::max(peak_rss_kb_[i], peak_rss_kb_of(i));
        incarnation = incarnation_[i];
    }
    if (!paused_[i]) note_peer_bytes(i, incarnation);  // its last count, if it still answers
    std::lock_guard lock(usage_mu_);
    procs_[i].reset();  // SIGKILL and reap
    paused_[i] = false;
}

std::uint64_t NetnsCluster::peak_rss_kb_of(int i) const {
    if (!procs_[i] || !procs_[i]->running()) return 0;
    std::ifstream in("/proc/" + std::to_string(procs_[i]->pid()) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10);
    return 0;
}

void NetnsCluster::note_peer_bytes(int i, std::uint64_t incarnation) {
    auto r = call(i, "GET", "/debug/actors/transport", {}, std::chrono::milliseconds(800));
    auto j = nlohmann::json::parse(r.ok() ? r.body : "", nullptr, false);
    if (!j.is_object() || !j.contains("state") || !j["state"].is_object()) return;
    const std::string out = j["state"].value("bytesOut", "");
    if (out.empty() || out.find_first_not_of("0123456789") != std::string::npos) return;
    std::lock_guard lock(usage_mu_);
    auto& seen = peer_bytes_[i][incarnation];
    seen = std::max<std::uint64_t>(seen, std::stoull(out));
}

void NetnsCluster::sample() {
    for (int i = 0; i < size(); ++i) {
        std::uint64_t incarnation = 0;
        {
            std::lock_guard lock(usage_mu_);
            if (!procs_[i] || paused_[i]) continue;
            peak_rss_kb_[i] = std::max(peak_rss_kb_[i], peak_rss_kb_of(i));
            incarnation = incarnation_[i];
        }
        note_peer_bytes(i, incarnation);
    }
}

NetnsCluster::Usage NetnsCluster::usage(int i) const {
    std::lock_guard lock(usage_mu_);
    Usage u{.peak_rss_kb = peak_rss_kb_[i]};
    for (const auto& [_, bytes] : peer_bytes_[i]) u.peer_bytes_out += bytes;
    return u;
}

void NetnsCluster::pause(int i) {
    if (!running(i)) return;
    std::lock_guard lock(usage_mu_);
    ::kill(procs_[i]->pid(), SIGSTOP);
    paused_[i] = true;
}

void NetnsCluster::resume(int i) {
    if (!running(i)) return;
    std::lock_guard lock(usage_mu_);
    ::kill(procs_[i]->pid(), SIGCONT);
    paused_[i] = false;
}

void NetnsCluster::mark(int i, const std::string& what) const {
    std::ofstream(dir(i) / "raftor.log", std::ios::app) << "=== chaos: " << what << " ===\n";
}

void NetnsCluster::iptables(int i, const std::vector<std::string>& args) const {
    std::vector<std::string> argv{"ip", "netns", "exec", ns(i), "iptables", "-w"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::string out;
    if (testing::run_command(argv, out) != 0) throw std::runtime_error("iptables in " + ns(i) + " failed: " + out);
}

void NetnsCluster::flush_rules(int i) const {
    iptables(i, {"-F", "INPUT"});
    iptables(i, {"-F", "OUTPUT"});
}

std::uint64_t NetnsCluster::fill_disk(int i) const {
    const auto path = dir(i) / "data" / filler;
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) throw std::runtime_error("cannot create " + path.string());
    // fallocate the free space, then write what is left to the last byte.
    struct statvfs st {};
    ::statvfs(data_dir(i).c_str(), &st);
    const auto avail = static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
    std::uint64_t filled = 0;
    if (avail > 0 && ::posix_fallocate(fd, 0, static_cast<off_t>(avail)) == 0) filled = avail;
    static const std::string block(4096, 'x');
    for (;;) {
        const ssize_t n = ::pwrite(fd, block.data(), block.size(), static_cast<off_t>(filled));
        if (n <= 0) break;
        filled += static_cast<std::uint64_t>(n);
    }
    ::close(fd);
    return filled;
}

void NetnsCluster::unfill_disk(int i) const {
    std::error_code ec;
    std::filesystem::remove(dir(i) / "data" / filler, ec);
}

void NetnsCluster::set_clock_offset(int i, std::int64_t seconds) const {
    // libfaketime: "+N" / "-N" seconds relative to the real clock.
    const auto tmp = dir(i) / "clock.tmp";
    std::ofstream(tmp) << (seconds < 0 ? "" : "+") << seconds << "\n";
    std::filesystem::rename(tmp, dir(i) / "clock");
}

http::ClientResult NetnsCluster::call(int i, const std::string& method, const std::string& target,
                                      const std::string& body, std::chrono::milliseconds timeout) const {
    http::ClientRequest req;
    req.method = method;
    req.host = ip(i);
    req.port = http_port;
    req.target = target;
    req.body = body;
    req.timeout = timeout;
    req.headers.emplace_back("Authorization", "Bearer " + token_);
    if (!body.empty() && (body.front() == '{' || body.front() == '['))
        req.headers.emplace_back("Content-Type", "application/json");
    return http::call(req);
}

// Node i's /health/cluster, when it answers and names a leader.
std::optional<nlohmann::json> NetnsCluster::view_with_leader(int i) const {
    auto r = call(i, "GET", "/health/cluster", {}, std::chrono::milliseconds(700));
    auto j = nlohmann::json::parse(r.ok() ? r.body : "", nullptr, false);
    if (j.is_discarded() || !j.contains("leader") || !j["leader"].is_string()) return std::nullopt;
    return j;
}

std::optional<int> NetnsCluster::leader() const {
    std::map<std::pair<std::uint64_t, std::string>, int> named;  // (term, leader) -> how many name it
    for (int i = 0; i < size(); ++i) {
        if (!running(i) || paused(i)) continue;
        const auto j = view_with_leader(i);
        if (!j) continue;
        ++named[{j->value("term", std::uint64_t{0}), (*j)["leader"].get<std::string>()}];
    }
    if (named.empty()) return std::nullopt;
    const auto& [key, votes] = *named.rbegin();
    const int idx = index_of(key.second);
    if (idx < 0 || votes <= size() / 2 || !running(idx) || paused(idx)) return std::nullopt;
    return idx;
}

bool NetnsCluster::settled() const {
    std::string leader;
    for (int i = 0; i < size(); ++i) {
        if (!running(i)) return false;
        const auto j = view_with_leader(i);
        if (!j) return false;
        if (!leader.empty() && (*j)["leader"].get<std::string>() != leader) return false;
        leader = (*j)["leader"].get<std::string>();
        if (j->value("appliedIndex", std::uint64_t{0}) < j->value("commitIndex", std::uint64_t{0})) return false;
    }
    return !leader.empty();
}

}  // namespace raftor::chaos
