// Strangers on real processes: forged hellos and frames on the peer port never move
// the leader or its term and are refused in the log and the metrics, with and without
// a cluster secret and with mutual TLS; a handler's env is redacted unless the admin
// asks; a deeply nested body is refused and the node lives.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "config/node_config.hpp"
#include "runtime/net/frame_codec.hpp"
#include "runtime/net/hello.hpp"
#include "runtime/raft/codec.hpp"
#include "tests/cluster/process_cluster.hpp"
#include "tests/common/temp_dir.hpp"
#include "tests/common/test_certs.hpp"

using namespace raftor;
using namespace raftor::testing;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

json cluster_view(const ProcessCluster& c, int i) {
    auto r = c.call(i, "GET", "/health/cluster");
    return r.ok() ? json::parse(r.body, nullptr, false) : json();
}

// Connects to a peer port, writes `bytes`, reads until the node closes (or 3 s).
void send_raw(std::uint16_t port, const std::string& bytes) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
        (void)!::write(fd, bytes.data(), bytes.size());
        timeval tv{3, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char buf[4096];
        while (::read(fd, buf, sizeof buf) > 0) {
        }
    }
    ::close(fd);
}

std::string frame(const raft::Message& m) {
    return net::encode_frame(raft::encode_message(m));
}

std::string hello_as(const std::string& name, std::uint64_t to, std::string nonce = {}) {
    return net::encode_frame(net::encode_hello(net::Hello{net::peer_protocol_version, net::peer_protocol_version_min,
                                                          "test", config::raft_id_of(name), "", to, std::move(nonce)}));
}

// The frames that once stopped a leader or wrote its term: a heartbeat in its own term
// from a member, and from a stranger an append with a later term and a commit index,
// and a vote near 2^64.
std::string forged_frames(std::uint64_t leader, std::uint64_t member, std::uint64_t stranger, std::uint64_t term) {
    using raft::MessageType;
    std::string out;
    out += frame({.type = MessageType::heartbeat, .from = member, .to = leader, .term = term, .commit = 1});
    out += frame({.type = MessageType::append,
                  .from = stranger,
                  .to = leader,
                  .term = term + 1,
                  .log_term = 0,
                  .index = 0,
                  .entries = {raft::Entry{.term = term + 1, .index = 1, .payload = "rm -rf"}},
                  .commit = 1});
    out += frame({.type = MessageType::vote, .from = stranger, .to = leader, .term = ~std::uint64_t{0} - 1});
    return out;
}

double metric(const ProcessCluster& c, int i, const std::string& series) {
    auto r = c.call(i, "GET", "/metrics?format=text");
    const auto at = r.body.find("\n" + series + " ");  // a sample line, not its # HELP
    return at == std::string::npos ? -1 : std::stod(r.body.substr(at + series.size() + 2));
}

struct Before {
    int leader;
    std::uint64_t term;
    std::string leader_name;
};

Before settle(ProcessCluster& c) {
    const int leader = c.start_and_elect();
    std::this_thread::sleep_for(300ms);
    const json v = cluster_view(c, leader);
    return {leader, v["term"].get<std::uint64_t>(), v["leader"].get<std::string>()};
}

void expect_unmoved(ProcessCluster& c, const Before& b) {
    std::this_thread::sleep_for(1s);
    for (int i = 0; i < c.size(); ++i) {
        BOOST_TEST(c.running(i));
        const json v = cluster_view(c, i);
        BOOST_TEST(v["leader"] == b.leader_name, c.name(i) << ": " << v.dump());
        BOOST_TEST(v["term"] == b.term, c.name(i) << ": " << v.dump());
    }
}

}  // namespace

// Peers on loopback prove nothing (the only place that is allowed): the hello's word is
// taken, and the boundary in front of the Raft core refuses what no member may send.
BOOST_AUTO_TEST_CASE(forged_frames_on_a_loopback_cluster_are_refused_at_the_core_s_boundary) {
    ProcessCluster c({});
    const Before b = settle(c);
    const int other = (b.leader + 1) % c.size();
    const auto leader_id = config::raft_id_of(c.name(b.leader));
    const auto member_id = config::raft_id_of(c.name(other));
    const auto stranger_id = config::raft_id_of("mallory");
    const auto third_id = config::raft_id_of(c.name((b.leader + 2) % c.size()));
    // As a member (the heartbeat; the rest claim a third member), then as a stranger.
    send_raw(c.peer_port(b.leader),
             hello_as(c.name(other), leader_id) + forged_frames(leader_id, member_id, third_id, b.term));
    send_raw(c.peer_port(b.leader),
             hello_as("mallory", leader_id) + forged_frames(leader_id, stranger_id, stranger_id, b.term));
    expect_unmoved(c, b);
    const std::string log = c.log(b.leader);
    BOOST_TEST(log.find("peer_frame_rejected") != std::string::npos, log);
    BOOST_TEST(log.find("leader_conflict") != std::string::npos, log);
    BOOST_TEST(log.find("not_a_member") != std::string::npos, log);
    BOOST_TEST(metric(c, b.leader, "raft_peer_frames_refused_total{reason=\"leader_conflict\"}") >= 1);
    BOOST_TEST(metric(c, b.leader, "raft_peer_frames_refused_total{reason=\"not_a_member\"}") >= 2);
    BOOST_TEST(metric(c, b.leader, "raft_peer_frames_refused_total{reason=\"sender_mismatch\"}") >= 1);
    json ok = json::parse(c.call(b.leader, "PUT", "/kv/still", "serving").body);
    BOOST_TEST(ok["revision"].is_number(), ok.dump());
}

BOOST_AUTO_TEST_CASE(with_a_cluster_secret_a_peer_that_proves_nothing_gets_no_frame_in) {
    ClusterOptions o;
    o.cluster_secret = std::string(64, '7');
    ProcessCluster c(o);
    const Before b = settle(c);
    const int other = (b.leader + 1) % c.size();
    const auto leader_id = config::raft_id_of(c.name(b.leader));
    const auto member_id = config::raft_id_of(c.name(other));
    // A hello naming a member, without the handshake.
    send_raw(c.peer_port(b.leader),
             hello_as(c.name(other), leader_id) + forged_frames(leader_id, member_id, member_id, b.term));
    // With a nonce, then a proof made up.
    send_raw(c.peer_port(b.leader), hello_as(c.name(other), leader_id, std::string(32, 'n')) +
                                        net::encode_frame(net::encode_proof({{}, std::string(32, 'p')})) +
                                        forged_frames(leader_id, member_id, member_id, b.term));
    expect_unmoved(c, b);
    const std::string log = c.log(b.leader);
    BOOST_TEST(log.find("no cluster-secret handshake") != std::string::npos, log);
    BOOST_TEST(log.find("failed the cluster-secret proof") != std::string::npos, log);
    BOOST_TEST(log.find("peer_frame_rejected") == std::string::npos, log);  // nothing got as far as the core
    BOOST_TEST(metric(c, b.leader, "transport_connections_refused_total") >= 2);
    BOOST_TEST(log.find("cluster secret") != std::string::npos);  // node_started says how peers authenticate
}

BOOST_AUTO_TEST_CASE(with_mutual_tls_a_peer_without_a_certificate_gets_no_frame_in) {
    TempDir pki;
    TestCa ca(pki.path, "cluster-ca");
    for (const char* n : {"node-1", "node-2", "node-3"}) ca.issue(n);
    const std::string base = (pki.path / "cluster-ca-").string();
    ClusterOptions o;
    o.extra_json = "\"tls\": {\"ca\": \"" + ca.cert_path() + "\", \"cert\": \"" + base + "{node}.crt\", \"key\": \"" +
                   base + "{node}.key\"}, ";
    o.https = true;
    ProcessCluster c(o);
    const Before b = settle(c);
    const int other = (b.leader + 1) % c.size();
    const auto leader_id = config::raft_id_of(c.name(b.leader));
    const auto member_id = config::raft_id_of(c.name(other));
    send_raw(c.peer_port(b.leader),
             hello_as(c.name(other), leader_id) + forged_frames(leader_id, member_id, member_id, b.term));
    expect_unmoved(c, b);
    const std::string log = c.log(b.leader);
    BOOST_TEST(log.find("TLS handshake") != std::string::npos, log);
    BOOST_TEST(log.find("peer_frame_rejected") == std::string::npos, log);
}

BOOST_AUTO_TEST_CASE(handler_env_is_redacted_unless_the_admin_asks_and_deep_json_is_refused) {
    ClusterOptions o;
    o.auth_token = "admin-0123456789abcdef0123456789abcdef";
    o.read_token = "reader-0123456789abcdef0123456789abcdef";
    ProcessCluster c(o);
    const int leader = c.start_and_elect();
    const std::vector<std::pair<std::string, std::string>> admin{{"Authorization", "Bearer " + o.auth_token}},
        reader{{"Authorization", "Bearer reader-0123456789abcdef0123456789abcdef"}};
    auto def = c.call(
        leader, "POST", "/operations",
        R"({"id":"db","name":"d","handler":{"kind":"exec","argv":["/bin/true"],"env":{"DB_PASSWORD":"hunter2"}}})",
        admin);
    BOOST_REQUIRE_MESSAGE(def.status == 201 || def.status == 200, def.body);
    auto read = c.call(leader, "GET", "/operations/db", "", reader);
    BOOST_TEST(read.status == 200, read.body);
    BOOST_TEST(read.body.find("hunter2") == std::string::npos, read.body);
    BOOST_TEST(read.body.find("<redacted>") != std::string::npos, read.body);
    BOOST_TEST(c.call(leader, "GET", "/operations/db?reveal=true", "", reader).status == 403);
    auto shown = c.call(leader, "GET", "/operations/db?reveal=true", "", admin);
    BOOST_TEST(shown.body.find("hunter2") != std::string::npos, shown.body);
    BOOST_TEST(c.call(leader, "GET", "/operations", "", reader).body.find("hunter2") == std::string::npos);
    // The read token changes nothing; the admin token does.
    BOOST_TEST(c.call(leader, "POST", "/execute/db", "", reader).status == 403);
    // 1 MiB of '[': refused before any parser recurses into it; the node lives.
    auto deep = c.call(leader, "POST", "/operations", std::string(500'000, '[') + std::string(500'000, ']'), admin);
    BOOST_TEST(deep.status == 400, deep.status << " " << deep.body);
    BOOST_TEST(deep.body.find("too_deep") != std::string::npos, deep.body);
    BOOST_TEST(c.call(leader, "GET", "/health/live").status == 200);
    BOOST_TEST(c.running(leader));
}

// A connection to an HTTP port that sends nothing (it holds one of the client's slots).
int open_idle(const std::string& address) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1))));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

BOOST_AUTO_TEST_CASE(a_burst_gets_429_with_retry_after_and_a_connection_flood_gets_503) {
    ClusterOptions o;
    o.nodes = 1;
    o.auth_token = "admin-0123456789abcdef0123456789abcdef";
    // Loopback is exempt by default; this test is the stranger.
    o.extra_json =
        R"("rateLimit": {"exemptLoopback": false, "writePerSecond": 5, "writeBurst": 10, "openPerSecond": 1000,
           "openBurst": 1000}, )";
    o.listen_json = R"(, "httpConnectionsPerClientMax": 4)";
    ProcessCluster c(o);
    const int n = c.start_and_elect();
    const std::vector<std::pair<std::string, std::string>> admin{{"Authorization", "Bearer " + o.auth_token}};
    int ok = 0, limited = 0;
    std::string retry_after;
    for (int i = 0; i < 40; ++i) {
        auto r = c.call(n, "PUT", "/kv/burst" + std::to_string(i), "v", admin);
        if (r.status == 200 || r.status == 201) ++ok;
        if (r.status == 429) {
            ++limited;
            if (auto it = r.headers.find("retry-after"); it != r.headers.end()) retry_after = it->second;
            BOOST_TEST(r.body.find("rate_limited") != std::string::npos, r.body);
        }
    }
    // Ten from the burst, and one or two refilled while the loop ran.
    BOOST_TEST(ok >= 10);
    BOOST_TEST(ok <= 20);
    BOOST_TEST(limited >= 20);
    BOOST_TEST(retry_after == "1");
    // Another class has its own bucket: the probes still answer.
    BOOST_TEST(c.call(n, "GET", "/health/live").status == 200);
    BOOST_TEST(metric(c, n, "http_requests_total{route=\"/kv/:key\",method=\"PUT\",status=\"429\"}") >= limited);

    // Four idle connections from this address fill its slots; a fifth is answered 503.
    std::vector<int> idle;
    for (int i = 0; i < 4; ++i) idle.push_back(open_idle(c.http_address(n)));
    std::this_thread::sleep_for(200ms);
    auto busy = c.call(n, "GET", "/health/live");
    BOOST_TEST(busy.status == 503, busy.status << " " << busy.body);
    BOOST_TEST(busy.body.find("too_many_connections") != std::string::npos, busy.body);
    for (int fd : idle) ::close(fd);
    BOOST_TEST(eventually([&] { return c.call(n, "GET", "/health/live").status == 200; }, 5s));
    BOOST_TEST(c.log(n).find("connections open from that address") != std::string::npos);
}

// A client cannot say where it is: a follower drops X-Raftor-Client-Address from anyone
// but a member, also from the copy it forwards to the leader (which trusts a member's
// word for it, and binds the client's X-Client-Id session to it). Were the client's
// value forwarded, a second write with the same request id would look like another
// client's and apply; as the same client's retry, it is deduplicated.
BOOST_AUTO_TEST_CASE(a_follower_forwards_the_client_s_own_address_not_the_one_it_claims) {
    ProcessCluster c({});
    const int leader = c.start_and_elect();
    const int follower = (leader + 1) % c.size();
    const std::vector<std::pair<std::string, std::string>> rid{{"X-Client-Id", "7"}, {"X-Request-Seq", "1"}};
    auto first = c.call(leader, "PUT", "/kv/claimed", "first", rid);
    BOOST_REQUIRE(first.ok());
    BOOST_TEST(first.status == 200, first.body);
    auto claimed = rid;
    claimed.emplace_back("X-Raftor-Client-Address", "10.9.9.9");
    auto second = c.call(follower, "PUT", "/kv/claimed", "second", claimed);
    BOOST_REQUIRE(second.ok());
    BOOST_TEST(second.status == 200, second.body);
    BOOST_TEST(second.headers.count("x-raftor-forwarded-to") == 1u);  // it went through the follower
    auto read = c.call(leader, "GET", "/kv/claimed");
    BOOST_REQUIRE(read.ok());
    BOOST_TEST(read.body.find("\"first\"") != std::string::npos, read.body);
}
