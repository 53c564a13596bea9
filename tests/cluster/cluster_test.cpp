// Three real `raftor node` processes on loopback: election, replication through a
// follower, leader loss, whole-cluster crash, graceful stop, and bad input of every kind.
#define BOOST_TEST_MODULE cluster
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "tests/cluster/process_cluster.hpp"
#include "tests/common/temp_dir.hpp"
#include "tests/common/test_certs.hpp"

using namespace raftor;
using namespace raftor::testing;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

json body_of(const http::ClientResult& r) {
    auto j = json::parse(r.ok() ? r.body : "", nullptr, false);
    return j.is_discarded() ? json() : j;
}

int follower_of(const ProcessCluster& c, int leader) {
    return (leader + 1) % c.size();
}

// Writes key=value through node `i`, retrying while the cluster has no leader (503);
// true once acknowledged.
bool put(const ProcessCluster& c, int i, const std::string& key, const std::string& value,
         std::chrono::milliseconds within = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    do {
        auto r = c.call(i, "PUT", "/kv/" + key, value);
        if (r.ok() && r.status == 200) return true;
        std::this_thread::sleep_for(20ms);
    } while (std::chrono::steady_clock::now() < deadline);
    return false;
}

// The value of `key` read through node `i`, or "<status N>" when there is none.
std::string get(const ProcessCluster& c, int i, const std::string& key, bool stale = false,
                std::vector<std::pair<std::string, std::string>> headers = {}) {
    auto r = c.call(i, "GET", "/kv/" + key + (stale ? "?stale=true" : ""), "", std::move(headers));
    auto j = body_of(r);
    if (!r.ok() || r.status != 200 || !j.is_object() || !j["value"].is_string())
        return "<status " + std::to_string(r.ok() ? r.status : -1) + ">";
    return j["value"].get<std::string>();
}

// Waits until node `i` has applied everything its leader committed, as it reports it.
bool caught_up(const ProcessCluster& c, int i, std::uint64_t commit_at_least, std::chrono::milliseconds within) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    do {
        auto j = body_of(c.call(i, "GET", "/health/cluster"));
        if (j.is_object() && j["appliedIndex"].is_number() && j["appliedIndex"].get<std::uint64_t>() >= commit_at_least)
            return true;
        std::this_thread::sleep_for(20ms);
    } while (std::chrono::steady_clock::now() < deadline);
    return false;
}

std::uint64_t commit_index(const ProcessCluster& c, int i) {
    auto j = body_of(c.call(i, "GET", "/health/cluster"));
    return j.is_object() && j["commitIndex"].is_number() ? j["commitIndex"].get<std::uint64_t>() : 0;
}

int http_status(const http::ClientResult& r) {
    return r.ok() ? r.status : -1;
}

}  // namespace

BOOST_AUTO_TEST_CASE(three_nodes_elect_one_leader_and_agree_on_it) {
    ClusterOptions o;
    o.extra_json = "\"logJson\": true, ";
    ProcessCluster c(o);
    const int leader = c.start_and_elect();
    for (int i = 0; i < c.size(); ++i) {
        auto j = body_of(c.call(i, "GET", "/health/cluster"));
        BOOST_TEST(j["clusterSize"].get<int>() == 3);
        BOOST_TEST(j["leader"].get<std::string>() == c.name(leader));
        BOOST_TEST(j["members"].size() == 3u);
        BOOST_TEST(j["term"].get<std::uint64_t>() >= 1u);
        BOOST_TEST(j.contains("replicated"));
        BOOST_TEST(j.contains("replicationLag"));
        BOOST_TEST(j.contains("commitIndex"));
        // Readiness also waits for the node to apply what it knows is committed, which a
        // follower on a loaded machine may still be doing just after the election.
        for (const char* probe : {"/health", "/health/live", "/health/ready", "/health/startup"}) {
            http::ClientResult last;
            const bool up = eventually([&] {
                last = c.call(i, "GET", probe);
                return http_status(last) == 200;
            });
            BOOST_TEST(up, probe << " on " << c.name(i) << ": " << http_status(last) << " " << last.body);
        }
    }
    // The leader's own view names the role of each member.
    auto lj = body_of(c.call(leader, "GET", "/health/cluster"));
    BOOST_TEST(lj["role"].get<std::string>() == "leader");

    // logJson: every log line is one JSON object; role, term and leader changes are there.
    std::istringstream lines(c.log(leader));
    std::set<std::string> events;
    std::string line;
    int parsed = 0;
    while (std::getline(lines, line)) {
        auto j = json::parse(line, nullptr, false);
        BOOST_TEST(j.is_object(), line);
        if (!j.is_object()) continue;
        ++parsed;
        BOOST_TEST(j["node"] == c.name(leader), line);
        BOOST_TEST(j["ts"].is_string(), line);
        events.insert(j.value("event", ""));
        if (j["event"] == "role_changed" && j["to"] == "leader") BOOST_TEST(j["term"].is_string());
        // Levels as runbooks grep them; the phrases they grep, next to the event names.
        const std::string level = j.value("level", "");
        BOOST_TEST((level == "INFO" || level == "WARN" || level == "ERROR" || level == "DEBUG"), line);
        if (j["event"] == "leader_changed") BOOST_TEST(j.value("msg", "") == "leader elected", line);
        if (j["event"] == "cluster_started") BOOST_TEST(j.value("msg", "") == "cluster started", line);
    }
    BOOST_TEST(parsed >= 4);
    for (const char* e :
         {"storage_opened", "node_started", "term_changed", "role_changed", "leader_changed", "cluster_started"})
        BOOST_TEST(events.count(e) == 1u, e);
}

BOOST_AUTO_TEST_CASE(a_thousand_writes_through_a_follower_are_readable_on_every_node) {
    ProcessCluster c({});
    const int leader = c.start_and_elect();
    const int follower = follower_of(c, leader);
    constexpr int writers = 8, per_writer = 125;
    std::atomic<int> acked{0}, failed{0};
    std::vector<std::thread> ts;
    for (int w = 0; w < writers; ++w)
        ts.emplace_back([&, w] {
            for (int k = 0; k < per_writer; ++k) {
                const std::string key = "k" + std::to_string(w * per_writer + k);
                auto r = c.call(follower, "PUT", "/kv/" + key, "v" + key);
                (r.ok() && r.status == 200 ? acked : failed)++;
            }
        });
    for (auto& t : ts) t.join();
    BOOST_TEST(acked.load() == writers * per_writer);
    BOOST_TEST(failed.load() == 0);

    const std::uint64_t commit = commit_index(c, leader);
    for (int i = 0; i < c.size(); ++i) {
        BOOST_REQUIRE(caught_up(c, i, commit, 10s));
        int stale_ok = 0, linear_ok = 0;
        for (int k = 0; k < writers * per_writer; ++k) {
            const std::string key = "k" + std::to_string(k);
            stale_ok += get(c, i, key, true) == "v" + key;
            if (k % 10 == 0) linear_ok += get(c, i, key) == "v" + key;
        }
        BOOST_TEST(stale_ok == writers * per_writer, c.name(i));
        BOOST_TEST(linear_ok == writers * per_writer / 10, c.name(i));
    }
}

BOOST_AUTO_TEST_CASE(a_killed_leader_is_replaced_quickly_and_loses_no_acknowledged_write) {
    ProcessCluster c({});
    const int leader = c.start_and_elect();
    std::vector<std::string> acked;
    for (int k = 0; k < 200; ++k) {
        const std::string key = "before" + std::to_string(k);
        if (put(c, k % c.size(), key, key)) acked.push_back(key);
    }
    BOOST_REQUIRE(acked.size() == 200u);

    const auto killed_at = std::chrono::steady_clock::now();
    c.kill(leader, SIGKILL);
    const int survivor = follower_of(c, leader);
    // Poll every 5 ms: the first write the new leader accepts.
    std::optional<std::chrono::milliseconds> failover;
    while (!failover && std::chrono::steady_clock::now() - killed_at < 10s) {
        auto r = c.call(survivor, "PUT", "/kv/after", "x", {}, 1s);
        if (r.ok() && r.status == 200)
            failover =
                std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - killed_at);
        else
            std::this_thread::sleep_for(5ms);
    }
    BOOST_REQUIRE(failover);
    BOOST_TEST_MESSAGE("leader kill to first accepted write: " << failover->count() << " ms");
    BOOST_TEST(failover->count() < 2 * static_cast<long>(c.options().election_timeout_ms));

    auto new_leader = c.agreed_leader(10s);
    BOOST_REQUIRE(new_leader);
    BOOST_TEST(*new_leader != leader);
    for (const auto& key : acked) BOOST_TEST(get(c, survivor, key) == key, key);

    // The old leader comes back as a follower and catches up.
    c.start(leader);
    BOOST_REQUIRE(put(c, *new_leader, "later", "y"));
    BOOST_REQUIRE(caught_up(c, leader, commit_index(c, *new_leader), 15s));
    BOOST_TEST(get(c, leader, "later", true) == "y");
    BOOST_TEST(get(c, leader, "before0", true) == "before0");
    auto j = body_of(c.call(leader, "GET", "/health/cluster"));
    BOOST_TEST(j["leader"].get<std::string>() == c.name(*new_leader));
}

BOOST_AUTO_TEST_CASE(every_acknowledged_write_survives_killing_all_three) {
    ProcessCluster c({});
    c.start_and_elect();
    std::atomic<int> acked{0};
    std::vector<std::thread> ts;
    for (int w = 0; w < 3; ++w)
        ts.emplace_back([&, w] {
            for (int k = 0; k < 100; ++k) {
                const std::string key = "w" + std::to_string(w) + "-" + std::to_string(k);
                if (put(c, w, key, key)) ++acked;
            }
        });
    for (auto& t : ts) t.join();
    BOOST_REQUIRE(acked.load() == 300);
    for (int i = 0; i < c.size(); ++i) c.kill(i, SIGKILL);
    c.start_and_elect();
    int found = 0;
    for (int w = 0; w < 3; ++w)
        for (int k = 0; k < 100; ++k) {
            const std::string key = "w" + std::to_string(w) + "-" + std::to_string(k);
            found += get(c, (w + k) % 3, key) == key;
        }
    BOOST_TEST(found == 300);
    // Killed on this boot, their state stores were trusted as they stood: opened, not rebuilt.
    for (int i = 0; i < c.size(); ++i) {
        const std::string log = c.log(i);
        BOOST_TEST(log.find("state_store_opened") != std::string::npos, c.name(i) << ": " << log.substr(0, 4000));
    }
}

BOOST_AUTO_TEST_CASE(sigterm_stops_a_node_gracefully_and_it_restarts_on_its_data) {
    ProcessCluster c({});
    const int leader = c.start_and_elect();
    BOOST_REQUIRE(put(c, leader, "kept", "yes"));
    const int f = follower_of(c, leader);
    BOOST_REQUIRE(caught_up(c, f, commit_index(c, leader), 5s));
    BOOST_TEST(c.stop(f) == 0);
    const std::string log = c.log(f);
    BOOST_TEST(log.find("node_stopping") != std::string::npos);
    BOOST_TEST(log.find("storage_flushed") != std::string::npos);
    BOOST_TEST(log.find("node_stopped node=" + c.name(f) + " clean=true") != std::string::npos);
    // A stopped leader first hands leadership to the one follower left. The follower
    // restarts with everything applied from its own disk: a new write, caught up,
    // proves the leader reaches it again (its link may still be waiting to redial).
    c.start(f);
    BOOST_REQUIRE(put(c, leader, "after", "restart"));
    BOOST_REQUIRE(caught_up(c, f, commit_index(c, leader), 10s));
    BOOST_TEST(c.stop(leader) == 0);
    const std::string leader_log = c.log(leader);
    BOOST_TEST(leader_log.find("leadership_handover node=" + c.name(leader)) != std::string::npos, leader_log);
    BOOST_TEST(leader_log.find("stepped_down node=" + c.name(leader) + " leader=") != std::string::npos, leader_log);
    c.stop(f);
    c.start(f);
    c.start(leader);
    BOOST_REQUIRE(c.agreed_leader(15s));
    BOOST_TEST(get(c, f, "kept") == "yes");
    // Stopped cleanly, its state store was synced, and opened as it stood.
    const std::string again = c.log(f);
    BOOST_TEST(again.find("state_store_opened") != std::string::npos, again.substr(0, 4000));
}

BOOST_AUTO_TEST_CASE(compare_and_set_delete_and_revisions) {
    ProcessCluster c({});
    const int leader = c.start_and_elect();
    const int f = follower_of(c, leader);
    // prevRevision=0: only if absent.
    auto r = c.call(f, "PUT", "/kv/cas?prevRevision=0", "one");
    BOOST_REQUIRE(http_status(r) == 200);
    const auto rev = body_of(r)["revision"].get<std::uint64_t>();
    BOOST_TEST(http_status(c.call(f, "PUT", "/kv/cas?prevRevision=0", "again")) == 412);
    r = c.call(f, "PUT", "/kv/cas?prevRevision=" + std::to_string(rev), "two");
    BOOST_TEST(http_status(r) == 200);
    BOOST_TEST(body_of(r)["revision"].get<std::uint64_t>() > rev);
    BOOST_TEST(http_status(c.call(f, "PUT", "/kv/cas?prevRevision=" + std::to_string(rev), "three")) == 412);
    BOOST_TEST(get(c, leader, "cas") == "two");
    BOOST_TEST(http_status(c.call(f, "DELETE", "/kv/cas")) == 200);
    BOOST_TEST(http_status(c.call(leader, "GET", "/kv/cas")) == 404);
    // Binary values come back base64.
    BOOST_REQUIRE(http_status(c.call(f, "PUT", "/kv/bin", std::string("\xff\x00\x01", 3))) == 200);
    auto b = body_of(c.call(leader, "GET", "/kv/bin"));
    BOOST_TEST(b["encoding"].get<std::string>() == "base64");
    BOOST_TEST(b["value"].get<std::string>() == "/wAB");
    // forward=false: a follower names the leader instead.
    r = c.call(f, "PUT", "/kv/x?forward=false", "1");
    BOOST_TEST(http_status(r) == 307);
    BOOST_TEST(r.headers["location"] == "http://" + c.http_address(leader) + "/kv/x?forward=false");
}

BOOST_AUTO_TEST_CASE(with_no_quorum_writes_get_503_and_retry_after) {
    ProcessCluster c({});
    const int leader = c.start_and_elect();
    const int f = follower_of(c, leader);
    for (int i = 0; i < c.size(); ++i)
        if (i != f) c.kill(i, SIGKILL);
    // The follower loses its leader after an election timeout; then no leader is known.
    std::this_thread::sleep_for(std::chrono::milliseconds(2 * c.options().election_timeout_ms));
    auto r = c.call(f, "PUT", "/kv/k", "v", {}, 15s);
    BOOST_TEST(http_status(r) == 503);
    BOOST_TEST(r.headers.count("retry-after") == 1u);
    BOOST_TEST(body_of(r)["code"].is_string());
    BOOST_TEST(http_status(c.call(f, "GET", "/health/ready")) == 503);
    BOOST_TEST(http_status(c.call(f, "GET", "/health/live")) == 200);
    // A stale read still answers from the node's own copy.
    BOOST_TEST(http_status(c.call(f, "GET", "/kv/missing?stale=true")) == 404);
}

BOOST_AUTO_TEST_CASE(bad_input_gets_a_clear_error_and_the_cluster_keeps_serving) {
    ClusterOptions o;
    o.auth_token = "s3cret-0123456789abcdef0123456789abcdef";
    o.max_body_bytes = 4096;
    ProcessCluster c(o);
    const int leader = c.start_and_elect();
    const int f = follower_of(c, leader);
    const std::vector<std::pair<std::string, std::string>> auth{
        {"Authorization", "Bearer s3cret-0123456789abcdef0123456789abcdef"}};

    auto expect = [&](const http::ClientResult& r, int status, const std::string& code) {
        BOOST_TEST(http_status(r) == status,
                   "expected " << status << " " << code << ", got " << r.status << " " << r.body);
        auto j = body_of(r);
        BOOST_TEST(j.is_object());
        if (j.is_object()) {
            BOOST_TEST(j["code"] == code);
            BOOST_TEST(j["error"].is_string());
            BOOST_TEST(j["detail"].is_string());
        }
    };
    expect(c.call(f, "PUT", "/kv/a", "v"), 401, "unauthorized");
    expect(c.call(f, "PUT", "/kv/a", "v", {{"Authorization", "Bearer wrong"}}), 403, "forbidden");
    expect(c.call(f, "PUT", "/kv/a", "v", {{"Authorization", "Basic abc"}}), 401, "unauthorized");
    expect(c.call(f, "PUT", "/kv/a", std::string(10000, 'x'), auth), 413, "body_too_large");
    expect(c.call(f, "GET", "/nope", "", auth), 404, "not_found");
    expect(c.call(f, "POST", "/health"), 405, "method_not_allowed");
    expect(c.call(f, "GET", "/kv/a?bogus=1", "", auth), 400, "unknown_parameter");
    expect(c.call(f, "PUT", "/kv/a?prevRevision=abc", "v", auth), 400, "bad_parameter");
    expect(c.call(f, "GET", "/kv/%zz", "", auth), 400, "bad_key");
    expect(c.call(f, "GET", "/kv/", "", auth), 400, "bad_key");
    // HEAD: the headers of a GET, no body.
    auto head = c.call(f, "HEAD", "/health/live");
    BOOST_TEST(http_status(head) == 200);
    BOOST_TEST(head.body.empty());
    BOOST_TEST(std::stoul(head.headers["content-length"]) > 0u);
    // Reads need a token too; the right token writes (forwarded to the leader).
    expect(c.call(f, "GET", "/kv/a"), 401, "unauthorized");
    expect(c.call(f, "GET", "/kv/a", "", auth), 404, "key_not_found");
    BOOST_TEST(http_status(c.call(f, "PUT", "/kv/a", "v", auth)) == 200);
    BOOST_TEST(
        http_status(c.call(f, "PUT", "/kv/a", "v", {{"X-Api-Key", "s3cret-0123456789abcdef0123456789abcdef"}})) == 200);

    // Not HTTP at all on the HTTP port, and garbage on the peer port.
    auto raw = [](std::uint16_t port, const std::string& bytes) {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        std::string got;
        if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
            (void)!::write(fd, bytes.data(), bytes.size());
            timeval tv{5, 0};
            ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
            char buf[4096];
            ssize_t n;
            while ((n = ::read(fd, buf, sizeof buf)) > 0) got.append(buf, static_cast<std::size_t>(n));
        }
        ::close(fd);
        return got;
    };
    const std::string http_port = c.http_address(f).substr(c.http_address(f).rfind(':') + 1);
    const std::string answer = raw(static_cast<std::uint16_t>(std::stoi(http_port)), "\x16\x03\x01garbage\r\n\r\n");
    BOOST_TEST(answer.find("400") != std::string::npos, answer);
    BOOST_TEST(answer.find("bad_request") != std::string::npos, answer);
    std::string garbage(64, '\0');
    garbage[0] = 0x7f;  // a frame length far over the limit
    garbage[1] = garbage[2] = garbage[3] = '\xff';
    raw(c.peer_port(f), garbage);
    raw(c.peer_port(f), std::string("\x00\x00\x00\x10not capnp at all", 20));  // big-endian 16
    std::this_thread::sleep_for(200ms);
    const std::string log = c.log(f);
    BOOST_TEST(log.find("closing peer connection") != std::string::npos);
    BOOST_TEST(log.find("refusing peer connection") != std::string::npos);

    // Still a healthy cluster with the same leader.
    BOOST_TEST(http_status(c.call(f, "PUT", "/kv/after", "ok", auth)) == 200);
    BOOST_TEST(get(c, leader, "after", false, auth) == "ok");
    for (int i = 0; i < c.size(); ++i) BOOST_TEST(c.running(i));
}

BOOST_AUTO_TEST_CASE(a_config_file_with_a_typo_stops_start_up_with_one_line) {
    const auto dir = std::filesystem::temp_directory_path() / ("raftor-cfg-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto write = [&](const std::string& name, const std::string& text) {
        std::ofstream(dir / name) << text;
        return (dir / name).string();
    };
    struct Case {
        std::string file, text, expect;
    };
    const std::vector<Case> cases{
        {"typo.json", R"({"raft": {"electionTimoutMs": 1500}})",
         "typo.json: raft.electionTimoutMs: unknown key (did you mean 'raft.electionTimeoutMs'?)"},
        {"type.json", R"({"maxConcurrent": "ten"})", "type.json: maxConcurrent: must be a whole number"},
        {"broken.json", R"({"raft": {)", "broken.json: (document): not valid JSON"},
        {"timing.json", R"({"raft": {"heartbeatIntervalMs": 500, "electionTimeoutMs": 600}})",
         "raft.electionTimeoutMs: must be at least 3 x raft.heartbeatIntervalMs"},
        {"user.json", R"({"handlers": {"user": "no-such-user"}, "listen": {"peer": "127.0.0.1:1"}})",
         "handlers.user: no user 'no-such-user' on this machine"},
    };
    for (const auto& k : cases) {
        std::string out;
        const int status = run_command({RAFTOR_BIN, "node", "--config", write(k.file, k.text), "--node-id", "a",
                                        "--cluster-nodes", "a=127.0.0.1:1", "--data-dir", (dir / "d").string()},
                                       out);
        BOOST_TEST(status == 1, k.file);
        BOOST_TEST(out.find(k.expect) != std::string::npos, k.file << ": " << out);
        BOOST_TEST(std::count(out.begin(), out.end(), '\n') == 1, k.file << ": " << out);
    }
    std::string out;
    BOOST_TEST(run_command({RAFTOR_BIN, "node", "--config", (dir / "absent.json").string()}, out) == 1);
    BOOST_TEST(out.find("absent.json") != std::string::npos, out);
    std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(raftor_ctl_reads_and_writes_the_cluster) {
    ProcessCluster c({});
    const int leader = c.start_and_elect();
    // The first endpoint is down: ctl moves on to the next.
    const std::string endpoints =
        "127.0.0.1:" + std::to_string(free_port()) + "," + c.http_address(follower_of(c, leader));
    std::string out;
    BOOST_TEST(run_command({RAFTOR_BIN, "ctl", "--endpoints", endpoints, "leader"}, out) == 0);
    BOOST_TEST(out == c.name(leader) + "\n");
    BOOST_TEST(run_command({RAFTOR_BIN, "ctl", "--endpoints", endpoints, "kv", "put", "greeting", "hello"}, out) == 0,
               out);
    BOOST_TEST(run_command({RAFTOR_BIN, "ctl", "--endpoints", endpoints, "kv", "get", "greeting"}, out) == 0);
    BOOST_TEST(out == "hello\n");
    BOOST_TEST(run_command({RAFTOR_BIN, "ctl", "--endpoints", endpoints, "status"}, out) == 0);
    BOOST_TEST(json::parse(out)["clusterSize"] == 3);
    BOOST_TEST(
        run_command({RAFTOR_BIN, "ctl", "--endpoints", endpoints, "kv", "put", "greeting", "x", "--prev-revision", "0"},
                    out) == 1);
    BOOST_TEST(out.find("compare-and-set failed") != std::string::npos, out);
    BOOST_TEST(run_command({RAFTOR_BIN, "ctl", "--endpoints", endpoints, "kv", "del", "greeting"}, out) == 0);
    BOOST_TEST(run_command({RAFTOR_BIN, "ctl", "--endpoints", endpoints, "kv", "get", "greeting"}, out) == 1);
    BOOST_TEST(out.find("key not found") != std::string::npos, out);

    // ctl ops: define, list, get, execute (waiting), history, queue, replay, delete.
    const auto def = std::filesystem::temp_directory_path() / ("raftor-ctl-op-" + std::to_string(::getpid()) + ".json");
    std::ofstream(def) << "\n  {\"id\": \"ctl-op\", \"handler\": {\"kind\": \"echo\", \"message\": \"hi\"}}\n";
    auto ops = [&](std::vector<std::string> more) {
        std::vector<std::string> argv{RAFTOR_BIN, "ctl", "--endpoints", endpoints, "ops"};
        argv.insert(argv.end(), more.begin(), more.end());
        return run_command(argv, out);
    };
    BOOST_TEST(ops({"define", def.string()}) == 0, out);
    BOOST_TEST(ops({"define", def.string()}) == 1, out);  // exists
    BOOST_TEST(out.find("exists") != std::string::npos, out);
    BOOST_TEST(ops({"define", "--replace", def.string()}) == 0, out);
    BOOST_TEST(ops({"list"}) == 0, out);
    BOOST_TEST(out.find("\"ctl-op\"") != std::string::npos, out);
    BOOST_TEST(ops({"get", "ctl-op"}) == 0, out);
    BOOST_TEST(nlohmann::json::parse(out)["version"] == 2, out);
    BOOST_TEST(ops({"execute", "ctl-op", "--input", "not json"}) == 1, out);
    BOOST_TEST(out.find("--input must be JSON") != std::string::npos, out);
    BOOST_TEST(ops({"execute", "ctl-op", "--wait", "--input", "\"x\""}) == 0, out);
    BOOST_TEST(nlohmann::json::parse(out)["status"] == "success", out);
    BOOST_TEST(ops({"history", "ctl-op", "--limit", "5"}) == 0, out);
    BOOST_TEST(nlohmann::json::parse(out).size() == 1u, out);
    BOOST_TEST(ops({"queue"}) == 0, out);
    const auto wall_now =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    BOOST_TEST(ops({"replay", "--since", std::to_string(wall_now + 3'600'000)}) == 1, out);  // in the future
    BOOST_TEST(out.find("future") != std::string::npos, out);
    BOOST_TEST(ops({"replay", "--since", std::to_string(wall_now - 1000)}) == 0, out);
    BOOST_TEST(nlohmann::json::parse(out).contains("replayed"), out);
    BOOST_TEST(ops({"delete", "ctl-op"}) == 0, out);
    BOOST_TEST(ops({"get", "ctl-op"}) == 1, out);
    BOOST_TEST(out.find("404") != std::string::npos, out);
    std::filesystem::remove(def);
}

BOOST_AUTO_TEST_CASE(a_mutual_tls_cluster_elects_and_replicates) {
    TempDir pki;
    TestCa ca(pki.path, "cluster-ca");
    // A certificate per member, naming it (CN) and 127.0.0.1: a member is who its
    // certificate says.
    for (const char* n : {"node-1", "node-2", "node-3"}) ca.issue(n);
    const auto leaf = ca.issue("node-1");
    const std::string base = (pki.path / "cluster-ca-").string();
    ClusterOptions o;
    o.extra_json = "\"tls\": {\"ca\": \"" + ca.cert_path() + "\", \"cert\": \"" + base + "{node}.crt\", \"key\": \"" +
                   base + "{node}.key\"}, \"handlers\": {\"httpsCa\": \"" + ca.cert_path() + "\"}, ";
    o.https = true;
    ProcessCluster c(o);
    const int leader = c.start_and_elect();
    const int f = follower_of(c, leader);
    // An http handler over https: the server (this cluster's own HTTPS) verified with
    // handlers.httpsCa and its name.
    {
        auto r = c.call(
            leader, "POST", "/operations",
            R"J({"id":"tls-hook","retry":{"maxAttempts":1},"handler":{"kind":"http","method":"PUT","url":"https://)J" +
                c.https_address(leader) + R"J(/kv/hooked-over-tls","body":"yes"}})J",
            {{"Content-Type", "application/json"}});
        BOOST_REQUIRE_MESSAGE(r.status == 201, r.body);
        auto e = c.call(leader, "POST", "/execute/tls-hook?wait=true", "");
        BOOST_TEST(e.status == 200, e.body);
        BOOST_TEST(e.body.find("\"status\":\"success\"") != std::string::npos, e.body);
        BOOST_TEST(get(c, leader, "hooked-over-tls") == "yes");
    }
    for (int k = 0; k < 100; ++k) BOOST_REQUIRE(put(c, f, "t" + std::to_string(k), "v"));
    for (int i = 0; i < c.size(); ++i) {
        BOOST_REQUIRE(caught_up(c, i, commit_index(c, leader), 10s));
        BOOST_TEST(get(c, i, "t99", true) == "v");
        BOOST_TEST(c.log(i).find("TLS handshake") == std::string::npos, c.log(i));
    }

    // The same API over HTTPS with the node's certificate, verified against the CA;
    // a write through a follower is forwarded as over plain HTTP.
    std::string out;
    BOOST_TEST(
        run_command({"curl", "-sS", "--cacert", ca.cert_path(), "https://" + c.https_address(f) + "/health/live"},
                    out) == 0,
        out);
    BOOST_TEST(out.find("\"status\":\"alive\"") != std::string::npos, out);
    BOOST_TEST(run_command({"curl", "-sS", "--cacert", ca.cert_path(), "-X", "PUT", "--data-binary", "over-tls",
                            "https://" + c.https_address(f) + "/kv/secure"},
                           out) == 0,
               out);
    BOOST_TEST(get(c, leader, "secure") == "over-tls");
    // The follower forwarded it to the leader's HTTPS address, never in clear.
    auto fwd = c.call(f, "PUT", "/kv/forwarded", "v");
    BOOST_TEST(fwd.status == 200, fwd.body);
    BOOST_TEST(fwd.headers["x-raftor-forwarded-to"] == c.https_address(leader));
    auto cluster = body_of(c.call(f, "GET", "/health/cluster"));
    for (const auto& m : cluster["members"])
        BOOST_TEST(m["httpsAddress"] == c.https_address(c.index_of(m["name"].get<std::string>())));
    // raftor ctl speaks HTTPS: the CA given, the node's certificate checked against it and
    // the host dialled; without the CA it refuses the node, unless told not to check.
    const std::string https_ep = "https://" + c.https_address(f);
    BOOST_TEST(run_command({RAFTOR_BIN, "ctl", "--endpoints", https_ep, "--ca", ca.cert_path(), "kv", "get", "secure"},
                           out) == 0,
               out);
    BOOST_TEST(out == "over-tls\n", out);
    BOOST_TEST(run_command({RAFTOR_BIN, "ctl", "--endpoints", https_ep, "kv", "get", "secure"}, out) == 1, out);
    BOOST_TEST(out.find("certificate verify failed") != std::string::npos, out);
    BOOST_TEST(run_command({RAFTOR_BIN, "ctl", "--endpoints", https_ep, "--insecure", "kv", "get", "secure"}, out) == 0,
               out);
    BOOST_TEST(run_command({RAFTOR_BIN, "ctl", "--endpoints", https_ep, "--ca", ca.cert_path(), "kv", "put", "k", "v"},
                           out) == 0,
               out);
    // A client that does not trust the CA is refused by its own TLS check: the server is not anonymous.
    BOOST_TEST(run_command({"curl", "-sS", "https://" + c.https_address(f) + "/health/live"}, out) != 0, out);

    // A node whose certificate file is missing does not start, and says which key is wrong.
    BOOST_TEST(
        run_command({RAFTOR_BIN, "node", "--node-id", "a", "--cluster-nodes",
                     "a=127.0.0.1:" + std::to_string(free_port()), "--data-dir", (pki.path / "d").string(), "--config",
                     [&] {
                         const auto p = (pki.path / "bad-tls.json").string();
                         std::ofstream(p)
                             << R"({"listen": {"http": "127.0.0.1:)" << free_port() << R"("}, "tls": {"ca": ")"
                             << ca.cert_path() << R"(", "cert": "/nonexistent.crt", "key": ")" << leaf.key << "\"}}";
                         return p;
                     }()},
                    out) == 1);
    BOOST_TEST(out.find("tls.cert: cannot read '/nonexistent.crt'") != std::string::npos, out);
}

BOOST_AUTO_TEST_CASE(https_asks_clients_for_certificates_when_told) {
    TempDir pki;
    TestCa ca(pki.path, "client-ca"), stranger(pki.path, "other-ca");
    for (const char* n : {"node-1", "node-2", "node-3"}) ca.issue(n);
    const auto client = ca.issue("operator");
    const auto forged = stranger.issue("operator");
    const std::string base = (pki.path / "client-ca-").string();
    auto tls_json = [&](bool reject) {
        return "\"tls\": {\"enabled\": true, \"requestCert\": true, \"rejectUnauthorized\": " +
               std::string(reject ? "true" : "false") + ", \"ca\": \"" + ca.cert_path() + "\", \"cert\": \"" + base +
               "{node}.crt\", \"key\": \"" + base + "{node}.key\"}, ";
    };
    std::string out;
    auto curl = [&](const std::string& address, std::vector<std::string> more) {
        std::vector<std::string> argv{"curl", "-sS",          "-o",       "/dev/null",
                                      "-w",   "%{http_code}", "--cacert", ca.cert_path()};
        argv.insert(argv.end(), more.begin(), more.end());
        argv.push_back("https://" + address + "/kv/mtls");
        return run_command(argv, out);
    };
    {
        ClusterOptions o;
        o.extra_json = tls_json(true);
        o.https = true;
        ProcessCluster c(o);
        const int leader = c.start_and_elect();
        const int f = follower_of(c, leader);
        // No certificate, or one of another CA: refused at the handshake.
        BOOST_TEST(curl(c.https_address(f), {}) != 0, out);
        BOOST_TEST(curl(c.https_address(f), {"--cert", forged.cert, "--key", forged.key}) != 0, out);
        // The CA's: served; a write through a follower is forwarded with the node's own.
        BOOST_TEST(curl(c.https_address(f),
                        {"--cert", client.cert, "--key", client.key, "-X", "PUT", "--data", "by-certificate"}) == 0,
                   out);
        BOOST_TEST(out == "200", out);
        BOOST_TEST(get(c, leader, "mtls") == "by-certificate");
        // raftor ctl presents one too.
        const std::string ep = "https://" + c.https_address(f);
        BOOST_TEST(run_command({RAFTOR_BIN, "ctl", "--endpoints", ep, "--ca", ca.cert_path(), "--cert", client.cert,
                                "--key", client.key, "kv", "get", "mtls"},
                               out) == 0,
                   out);
        BOOST_TEST(out == "by-certificate\n", out);
        BOOST_TEST(
            run_command({RAFTOR_BIN, "ctl", "--endpoints", ep, "--ca", ca.cert_path(), "kv", "get", "mtls"}, out) == 1,
            out);
    }
    {
        // Asked for, not required: a client without one is served too.
        ClusterOptions o;
        o.nodes = 1;
        o.extra_json = tls_json(false);
        o.https = true;
        ProcessCluster c(o);
        c.start_and_elect();
        BOOST_TEST(curl(c.https_address(0), {}) == 0, out);
        BOOST_TEST(out == "404", out);  // no such key, but answered
        BOOST_TEST(curl(c.https_address(0), {"--cert", client.cert, "--key", client.key}) == 0, out);
        // An https handler without handlers.httpsCa checks the server against the
        // system's CAs, which do not know this test CA: it fails and says why.
        auto r = c.call(0, "POST", "/operations",
                        R"J({"id":"tls-hook","retry":{"maxAttempts":1},"handler":{"kind":"http","url":"https://)J" +
                            c.https_address(0) + R"J(/health/live"}})J",
                        {{"Content-Type", "application/json"}});
        BOOST_REQUIRE_MESSAGE(r.status == 201, r.body);
        auto e = c.call(0, "POST", "/execute/tls-hook?wait=true", "");
        BOOST_TEST(e.body.find("\"status\":\"failed\"") != std::string::npos, e.body);
        BOOST_TEST(e.body.find("certificate verify failed") != std::string::npos, e.body);
    }
    // requestCert without a CA to check against does not start.
    const auto conf = (pki.path / "no-ca.json").string();
    std::ofstream(conf) << R"({"tls": {"requestCert": true, "cert": ")" << client.cert << R"(", "key": ")" << client.key
                        << "\"}}";
    BOOST_TEST(run_command({RAFTOR_BIN, "node", "--node-id", "a", "--cluster-nodes",
                            "a=127.0.0.1:" + std::to_string(free_port()), "--data-dir", (pki.path / "d2").string(),
                            "--config", conf, "--check-config"},
                           out) != 0);
    BOOST_TEST(out.find("tls.requestCert") != std::string::npos, out);
}

BOOST_AUTO_TEST_CASE(every_actor_of_a_node_answers_at_debug_actors) {
    ProcessCluster c({});
    const int leader = c.start_and_elect();
    BOOST_REQUIRE(put(c, leader, "k", "v"));
    // Followers apply it once they learn the commit index: the next append or tick.
    for (int i = 0; i < c.size(); ++i)
        BOOST_REQUIRE(eventually([&] {
            auto sm = body_of(c.call(i, "GET", "/debug/actors/state_machine"));
            return sm.is_object() && sm["state"].is_object() && sm["state"].value("kvKeys", "") == "1";
        }));
    for (int i = 0; i < c.size(); ++i) {
        auto j = body_of(c.call(i, "GET", "/debug/actors"));
        BOOST_REQUIRE(j.is_object());
        BOOST_TEST(j["node"] == c.name(i));
        std::map<std::string, json> by_name;
        for (const auto& a : j["actors"]) by_name[a["name"].get<std::string>()] = a;
        for (const char* name : {"raft_peer", "storage", "state_machine", "election_timer", "transport", "http_gateway",
                                 "supervisor", "introspector"}) {
            BOOST_REQUIRE_MESSAGE(by_name.count(name), name << " missing on " << c.name(i));
            const json& a = by_name[name];
            BOOST_TEST(a["responsive"] == true, name);
            BOOST_TEST(a["mailboxDepth"].is_number(), name);
            BOOST_TEST(a["kind"].is_string(), name);
        }
        const json& peer = by_name["raft_peer"];
        BOOST_TEST(peer["state"]["role"] == (i == leader ? "leader" : "follower"));
        BOOST_TEST(peer["messagesHandled"].get<std::uint64_t>() > 0u);
        BOOST_TEST(by_name["storage"]["state"]["flushes"].get<std::string>() != "0");
        BOOST_TEST(by_name["election_timer"]["lastMessage"] == "tick");
        int links = 0;
        for (auto it = by_name["transport"]["state"].begin(); it != by_name["transport"]["state"].end(); ++it)
            links += it.key().rfind("peer.", 0) == 0;
        BOOST_TEST(links == 2);  // one outbound connection per other member
        BOOST_TEST(by_name["state_machine"]["state"]["kvKeys"] == "1");
        BOOST_TEST(by_name["state_machine"]["state"]["appliedIndex"].get<std::string>() != "0");
    }
    auto leader_peer = body_of(c.call(leader, "GET", "/debug/actors/raft_peer"));
    int followers = 0;
    for (auto it = leader_peer["state"].begin(); it != leader_peer["state"].end(); ++it)
        followers += it.key().rfind("follower.", 0) == 0;
    BOOST_TEST(followers == 2);
    auto missing = c.call(leader, "GET", "/debug/actors/nope");
    BOOST_TEST(http_status(missing) == 404);
    BOOST_TEST(body_of(missing)["code"] == "actor_not_found");

    // The timer ticks all the time: a rate, and a trace that can be followed by sequence.
    BOOST_TEST(leader_peer["ratePerSec"].get<double>() > 0.0);
    auto trace = body_of(c.call(leader, "GET", "/debug/actors/election_timer/trace"));
    BOOST_TEST(trace["actor"] == "election_timer");
    BOOST_REQUIRE(!trace["entries"].empty());
    BOOST_TEST(trace["entries"].back()["type"] == "tick");
    const auto last = trace["entries"].back()["seq"].get<std::uint64_t>();
    const auto now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    BOOST_TEST(std::abs(trace["entries"].back()["atMs"].get<std::int64_t>() - now_ms) < 5000);
    BOOST_TEST(testing::eventually([&] {
        auto next = body_of(c.call(leader, "GET", "/debug/actors/election_timer/trace?after=" + std::to_string(last)));
        return !next["entries"].empty() && next["entries"].front()["seq"].get<std::uint64_t>() == last + 1 &&
               next["missed"] == 0;
    }));
}

BOOST_AUTO_TEST_CASE(a_paused_leader_that_wakes_up_serves_no_stale_read) {
    ProcessCluster c({});
    const int leader = c.start_and_elect();
    BOOST_REQUIRE(put(c, leader, "x", "old"));
    c.kill(leader, SIGSTOP);
    const int other = follower_of(c, leader);
    // The others elect a new leader and move x on.
    BOOST_REQUIRE(put(c, other, "x", "new", 15s));
    c.kill(leader, SIGCONT);
    // Right after waking, the old leader still believes it leads: a linearizable read
    // through it must not answer "old". It may refuse (503) until it learns better.
    bool answered = false;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!answered && std::chrono::steady_clock::now() < deadline) {
        const std::string v = get(c, leader, "x");
        BOOST_REQUIRE_MESSAGE(v != "old", "a stale read from the woken leader");
        answered = v == "new";
        if (!answered) std::this_thread::sleep_for(10ms);
    }
    BOOST_TEST(answered);
    // And a write through it lands in the new leader's log; it stays a follower.
    BOOST_REQUIRE(put(c, leader, "y", "after-wake"));
    BOOST_TEST(eventually([&] { return get(c, other, "y") == "after-wake"; }));
    BOOST_TEST(eventually([&] { return body_of(c.call(leader, "GET", "/health/cluster"))["role"] == "follower"; }));
}

BOOST_AUTO_TEST_CASE(writes_beyond_the_uncommitted_bytes_limit_get_503_and_retry_after) {
    ClusterOptions o;
    o.election_timeout_ms = 6000;  // the leader keeps leading while its followers restart
    o.raft_numbers = {{"uncommittedBytesMax", 2u << 20}};
    ProcessCluster c(o);
    const int leader = c.start_and_elect();
    for (int i = 0; i < c.size(); ++i)
        if (i != leader) c.kill(i, SIGKILL);
    // Two writes of 800 kB wait for a quorum that is not there; a third would pass 2 MiB.
    const std::string value(800'000, 'v');
    std::vector<std::thread> waiting;
    std::vector<http::ClientResult> answers(2);
    auto proposals = [&] {
        auto m = c.call(leader, "GET", "/metrics", {}, {{"Accept", "text/plain"}});
        std::smatch found;
        return m.ok() && std::regex_search(m.body, found, std::regex("\nraft_proposals_total ([0-9]+)"))
                   ? std::stoull(found[1])
                   : 0ull;
    };
    const auto before = proposals();
    for (int w = 0; w < 2; ++w) {
        waiting.emplace_back(
            [&, w] { answers[w] = c.call(leader, "PUT", "/kv/big" + std::to_string(w), value, {}, 30s); });
        // Each is proposed before the next is sent.
        BOOST_REQUIRE(eventually([&] { return proposals() >= before + w + 1; }, 10s));
    }
    auto r = c.call(leader, "PUT", "/kv/big2", value, {}, 10s);
    BOOST_TEST(http_status(r) == 503, r.body);
    BOOST_TEST(body_of(r)["code"] == "overloaded", r.body);
    BOOST_TEST(r.headers.count("retry-after") == 1u);
    BOOST_TEST(body_of(r)["detail"].get<std::string>().find("a quorum has not stored") != std::string::npos, r.body);
    // The followers come back: what waited commits, and there is room again.
    for (int i = 0; i < c.size(); ++i)
        if (i != leader) c.start(i);
    for (auto& t : waiting) t.join();
    for (const auto& a : answers) BOOST_TEST(http_status(a) == 200, a.body);
    auto last = c.call(leader, "PUT", "/kv/big2", value, {}, 10s);
    BOOST_TEST(http_status(last) == 200, last.body);
}

BOOST_AUTO_TEST_CASE(a_write_the_leader_cannot_commit_ends_as_outcome_unknown) {
    ProcessCluster c({});
    const int leader = c.start_and_elect();
    for (int i = 0; i < c.size(); ++i)
        if (i != leader) c.kill(i, SIGKILL);
    // The leader accepts the write but can never commit it; once check-quorum makes it
    // step down, the client hears that the outcome is unknown - not a success, not a
    // clean failure (the entry could still commit under a later leader).
    auto r = c.call(leader, "PUT", "/kv/orphan", "x", {}, 15s);
    BOOST_TEST(http_status(r) == 503);
    BOOST_TEST(body_of(r)["code"] == "outcome_unknown", r.body);
    BOOST_TEST(r.headers.count("retry-after") == 1u);
}
