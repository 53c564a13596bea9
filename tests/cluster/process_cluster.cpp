#include "tests/cluster/process_cluster.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace raftor::testing {

namespace {

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

pid_t spawn(const std::vector<std::string>& argv, const std::string& out_path) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    const int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);  // PATH for "curl"
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) throw std::runtime_error("posix_spawn " + argv[0] + ": " + std::strerror(rc));
    return pid;
}

// Waits for `pid` up to `wait`; its exit status, or -1 (still running).
int wait_exit(pid_t pid, std::chrono::milliseconds wait) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
        int status = 0;
        const pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (r < 0) return -1;
        if (std::chrono::steady_clock::now() >= deadline) return -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

}  // namespace

// A port below the kernel's ephemeral range (32768-60999 by default), free when asked.
// A port from bind(0) would be ephemeral: before the node that was given it binds it,
// another node's outgoing connection may take it as its local port.
std::uint16_t free_port() {
    static std::mt19937 rng{std::random_device{}()};
    std::uniform_int_distribution<int> pick(20000, 32000);
    for (int attempt = 0; attempt < 1000; ++attempt) {
        const auto port = static_cast<std::uint16_t>(pick(rng));
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(port);
        const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        ::close(fd);
        static std::set<std::uint16_t> given;  // never the same port twice in one test run
        if (free && given.insert(port).second) return port;
    }
    throw std::runtime_error("no free port on 127.0.0.1 in 20000-32000");
}

Child::Child(const std::vector<std::string>& argv, const std::string& output_file) : pid_(spawn(argv, output_file)) {}

Child::~Child() {
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
}

bool Child::running() const {
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == 0) return true;
    pid_ = 0;
    return false;
}

int run_command(const std::vector<std::string>& argv, std::string& output) {
    const auto out = std::filesystem::temp_directory_path() /
                     ("raftor-cmd-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
    const pid_t pid = spawn(argv, out.string());
    const int status = wait_exit(pid, std::chrono::seconds(30));
    if (status < 0) ::kill(pid, SIGKILL), ::waitpid(pid, nullptr, 0);
    output = read_file(out);
    std::filesystem::remove(out);
    return status;
}

ProcessCluster::ProcessCluster(ClusterOptions opts) : opts_(std::move(opts)), pids_(opts_.nodes, 0) {
    std::random_device rd;
    root_ = std::filesystem::temp_directory_path() / ("raftor-cluster-" + std::to_string(rd()) + std::to_string(rd()));
    std::string members;
    const int initial = opts_.initial > 0 ? opts_.initial : opts_.nodes;
    for (int i = 0; i < opts_.nodes; ++i) {
        http_ports_.push_back(free_port());
        peer_ports_.push_back(free_port());
        https_ports_.push_back(opts_.https ? free_port() : 0);
        if (i < initial) members += (i ? "," : "") + name(i) + "=127.0.0.1:" + std::to_string(peer_ports_[i]);
    }
    for (int i = 0; i < opts_.nodes; ++i) {
        std::filesystem::create_directories(dir(i));
        nlohmann::json raft{{"enabled", true},
                            {"heartbeatIntervalMs", opts_.heartbeat_ms},
                            {"electionTimeoutMs", opts_.election_timeout_ms}};
        if (opts_.snapshot_interval_ops) raft["snapshotIntervalOps"] = opts_.snapshot_interval_ops;
        for (const auto& [k, v] : opts_.raft_numbers) raft[k] = v;
        // A joiner lists the bootstrap members (to reach them) and itself.
        if (i >= initial) raft["join"] = true;
        const std::string listed =
            i < initial ? members : members + "," + name(i) + "=127.0.0.1:" + std::to_string(peer_ports_[i]);
        std::string extra = opts_.extra_json;
        if (!opts_.cluster_secret.empty()) {
            const auto secret = dir(i) / "cluster.secret";
            std::ofstream(secret) << opts_.cluster_secret << "\n";
            std::filesystem::permissions(secret,
                                         std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                         std::filesystem::perm_options::replace);
            extra += "\"peer\": {\"secretFile\": \"" + secret.string() + "\"}, ";
        }
        for (std::size_t at; (at = extra.find("{node}")) != std::string::npos;) extra.replace(at, 6, name(i));
        {
            std::ofstream cfg(dir(i) / "config.json");
            cfg << "{" << extra << "\"clusterId\": \"test\", \"dataDir\": \"" << dir(i).string()
                << "\", \"clusterNodes\": \"" << listed << "\", \"nodeId\": \"" << name(i)
                << "\", \"maxBodyBytes\": " << opts_.max_body_bytes << ", \"raft\": " << raft.dump()
                << ", \"listen\": {\"http\": \"" << http_address(i) << "\", \"peer\": \"127.0.0.1:" << peer_ports_[i]
                << (opts_.https ? "\", \"https\": \"" + https_address(i) : std::string()) << "\"" << opts_.listen_json
                << "}"
                << (opts_.auth_token.empty()
                        ? std::string()
                        : ", \"auth\": {\"token\": \"" + opts_.auth_token + "\"" +
                              (opts_.read_token.empty() ? std::string()
                                                        : ", \"readToken\": \"" + opts_.read_token + "\"") +
                              "}")
                << "}\n";
        }
        // It may hold a token: the node refuses a token file others can read.
        std::filesystem::permissions(dir(i) / "config.json",
                                     std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                     std::filesystem::perm_options::replace);
    }
}

ProcessCluster::~ProcessCluster() {
    for (int i = 0; i < opts_.nodes; ++i)
        if (running(i)) kill(i, SIGKILL);
    if (!std::getenv("RAFTOR_KEEP_TEST_DIRS")) {
        std::error_code ec;
        std::filesystem::remove_all(root_, ec);
    }
}

std::string ProcessCluster::log(int i) const {
    return read_file(dir(i) / "raftor.log");
}

void ProcessCluster::start_all() {
    for (int i = 0; i < opts_.nodes; ++i) start(i);
}

void ProcessCluster::start(int i) {
    if (running(i)) throw std::logic_error(name(i) + " is already running");
    pids_[i] =
        spawn({RAFTOR_BIN, "node", "--config", (dir(i) / "config.json").string()}, (dir(i) / "raftor.log").string());
}

void ProcessCluster::kill(int i, int signal) {
    if (!running(i)) return;
    ::kill(pids_[i], signal);
    if (signal == SIGKILL) {
        ::waitpid(pids_[i], nullptr, 0);
        pids_[i] = 0;
    }
}

int ProcessCluster::stop(int i, std::chrono::milliseconds wait) {
    if (!running(i)) return -1;
    ::kill(pids_[i], SIGTERM);
    const int status = wait_exit(pids_[i], wait);
    if (status >= 0) pids_[i] = 0;
    return status;
}

http::ClientResult ProcessCluster::call(int i, const std::string& method, const std::string& target,
                                        const std::string& body,
                                        std::vector<std::pair<std::string, std::string>> headers,
                                        std::chrono::milliseconds timeout) const {
    http::ClientRequest req;
    req.method = method;
    req.host = "127.0.0.1";
    req.port = http_ports_[i];
    req.target = target;
    req.body = body;
    req.headers = std::move(headers);
    // As a well-behaved client says of a JSON body (the node refuses one that does not).
    const bool typed = std::any_of(req.headers.begin(), req.headers.end(), [](const auto& h) {
        return h.first == "Content-Type" || h.first == "content-type";
    });
    if (!typed && !body.empty() && (body.front() == '{' || body.front() == '['))
        req.headers.emplace_back("Content-Type", "application/json");
    req.timeout = timeout;
    return http::call(req);
}

int ProcessCluster::index_of(const std::string& n) const {
    for (int i = 0; i < opts_.nodes; ++i)
        if (name(i) == n) return i;
    return -1;
}

int ProcessCluster::start_and_elect(std::chrono::milliseconds within) {
    start_all();
    if (auto leader = agreed_leader(within)) return *leader;
    std::string logs;
    for (int i = 0; i < size(); ++i) logs += "\n--- " + name(i) + " log:\n" + log(i);
    throw std::runtime_error("no agreed leader within " + std::to_string(within.count()) + " ms" + logs);
}

std::optional<int> ProcessCluster::agreed_leader(std::chrono::milliseconds within) const {
    const auto deadline = std::chrono::steady_clock::now() + within;
    do {
        std::string leader;
        bool agreed = true;
        for (int i = 0; i < opts_.nodes && agreed; ++i) {
            if (!running(i)) continue;
            auto r = call(i, "GET", "/health/cluster", {}, {}, std::chrono::milliseconds(500));
            auto j = nlohmann::json::parse(r.ok() ? r.body : "", nullptr, false);
            if (j.is_discarded() || !j.contains("leader") || !j["leader"].is_string()) {
                agreed = false;
                break;
            }
            const std::string l = j["leader"].get<std::string>();
            if (leader.empty()) leader = l;
            agreed = leader == l;
        }
        const int idx = leader.empty() ? -1 : index_of(leader);
        if (agreed && idx >= 0 && running(idx)) return idx;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } while (std::chrono::steady_clock::now() < deadline);
    return std::nullopt;
}

}  // namespace raftor::testing
