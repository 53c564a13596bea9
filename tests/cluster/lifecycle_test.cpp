#define BOOST_TEST_MODULE lifecycle_cluster
// The operator's lifecycle on real `raftor node` processes: scaling 3 -> 5 -> 3 under
// write load with `raftor ctl member`, joiners catching up by snapshot, removing the
// leader, snapshots on demand, leadership transfer, drain/undrain around a running
// handler, POST /shutdown, and the token on admin requests.
#include <signal.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "tests/cluster/process_cluster.hpp"

using namespace raftor;
using raftor::testing::ClusterOptions;
using raftor::testing::eventually;
using raftor::testing::ProcessCluster;
using raftor::testing::run_command;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

json parse(const http::ClientResult& r) {
    auto j = json::parse(r.ok() ? r.body : std::string(), nullptr, false);
    return j.is_discarded() ? json::object() : j;
}

std::string describe(const http::ClientResult& r) {
    return r.ok() ? std::to_string(r.status) + " " + r.body : r.error;
}

// Writers that PUT distinct keys to whichever of `targets` they pick, with request ids
// (a retry after an unknown outcome is then safe), and remember every acknowledged one.
class Writers {
public:
    Writers(ProcessCluster& c, std::vector<int> targets) : c_(c), targets_(std::move(targets)) {
        for (int t = 0; t < 2; ++t) threads_.emplace_back([this, t] { run(t); });
    }
    ~Writers() { stop(); }
    void retarget(std::vector<int> targets) {
        std::lock_guard<std::mutex> lock(mu_);
        targets_ = std::move(targets);
    }
    void stop() {
        done_ = true;
        for (auto& th : threads_)
            if (th.joinable()) th.join();
    }
    std::map<std::string, std::string> acked() {
        std::lock_guard<std::mutex> lock(mu_);
        return acked_;
    }
    std::uint64_t refused() const { return refused_; }

private:
    void run(int t) {
        std::mt19937 rng(static_cast<unsigned>(t) + 7);
        for (std::uint64_t n = 1; !done_; ++n) {
            const std::string key = "w" + std::to_string(t) + "-" + std::to_string(n);
            const std::string value = "v" + std::to_string(n);
            // The same request id until it is acknowledged: at most one copy applies.
            for (int attempt = 0; attempt < 50 && !done_; ++attempt) {
                int target;
                {
                    std::lock_guard<std::mutex> lock(mu_);
                    target = targets_[rng() % targets_.size()];
                }
                auto r = c_.call(target, "PUT", "/kv/" + key, value,
                                 {{"X-Client-Id", std::to_string(100 + t)}, {"X-Request-Seq", std::to_string(n)}}, 3s);
                if (r.ok() && r.status == 200) {
                    std::lock_guard<std::mutex> lock(mu_);
                    acked_[key] = value;
                    break;
                }
                ++refused_;
                std::this_thread::sleep_for(50ms);
            }
        }
    }

    ProcessCluster& c_;
    std::mutex mu_;
    std::vector<int> targets_;
    std::map<std::string, std::string> acked_;
    std::atomic<bool> done_{false};
    std::atomic<std::uint64_t> refused_{0};
    std::vector<std::thread> threads_;
};

std::string endpoints(ProcessCluster& c, std::initializer_list<int> nodes) {
    std::string out;
    for (int i : nodes) out += (out.empty() ? "" : ",") + c.http_address(i);
    return out;
}

json members_of(ProcessCluster& c, int i) {
    return parse(c.call(i, "GET", "/admin/members"));
}

std::vector<std::string> voters(const json& m) {
    std::vector<std::string> out;
    for (const auto& x : m.value("members", json::array()))
        if (x.value("voter", false)) out.push_back(x["name"]);
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(scaling_three_to_five_to_three_under_write_load_loses_nothing) {
    ClusterOptions o;
    o.nodes = 5;
    o.initial = 3;
    o.snapshot_interval_ops = 200;  // the joiners find a compacted log: they catch up by snapshot
    o.raft_numbers = {{"minClusterSize", 3}};
    ProcessCluster c(o);
    for (int i = 0; i < 3; ++i) c.start(i);
    int leader = *c.agreed_leader(15s);
    Writers w(c, {0, 1, 2});
    BOOST_REQUIRE(eventually([&] { return w.acked().size() >= 300; }, 30s));

    // A snapshot now, on the leader: its log is compacted past what any joiner has.
    auto snap = c.call(leader, "POST", "/admin/snapshot");
    BOOST_TEST_REQUIRE(snap.status == 200, describe(snap));
    BOOST_TEST(parse(snap)["index"].get<std::uint64_t>() > 0);

    std::string out;
    for (int joiner : {3, 4}) {
        c.start(joiner);
        // Not yet a member: up, but not ready.
        BOOST_REQUIRE(eventually([&] { return c.call(joiner, "GET", "/health/startup").status == 200; }, 10s));
        auto ready = c.call(joiner, "GET", "/health/ready");
        BOOST_TEST(ready.status == 503);
        BOOST_TEST(parse(ready).value("reason", "").find("not a member") != std::string::npos, describe(ready));
        const int rc = run_command({RAFTOR_BIN, "ctl", "--endpoints", endpoints(c, {0, 1, 2}), "member", "add",
                                    c.name(joiner), c.peer_address(joiner)},
                                   out);
        BOOST_TEST_REQUIRE(rc == 0, out);
        BOOST_TEST(out.find("promoted " + c.name(joiner) + " to voter") != std::string::npos, out);
        BOOST_TEST(c.log(joiner).find("snapshot_restored") != std::string::npos,
                   c.name(joiner) + " did not catch up by snapshot");
    }
    w.retarget({0, 1, 2, 3, 4});
    BOOST_REQUIRE(eventually([&] { return c.call(4, "GET", "/health/ready").status == 200; }, 10s));
    BOOST_TEST(voters(members_of(c, 4)) == (std::vector<std::string>{"node-1", "node-2", "node-3", "node-4", "node-5"}),
               members_of(c, 4).dump());
    const auto before_removal = w.acked().size();
    BOOST_REQUIRE(eventually([&] { return w.acked().size() >= before_removal + 200; }, 30s));

    // Back to three: remove the leader first (it hands leadership over, then the new
    // leader removes it), then one more of the bootstrap members.
    leader = *c.agreed_leader(15s);
    std::vector<int> removed{leader};
    for (int i : {0, 1, 2})
        if (i != leader && removed.size() < 2) removed.push_back(i);
    std::vector<int> remaining;
    for (int i = 0; i < 5; ++i)
        if (std::find(removed.begin(), removed.end(), i) == removed.end()) remaining.push_back(i);
    w.retarget(remaining);
    for (int r : removed) {
        const int rc = run_command(
            {RAFTOR_BIN, "ctl", "--endpoints", c.http_address(remaining[0]), "member", "remove", c.name(r)}, out);
        BOOST_TEST_REQUIRE(rc == 0, out);
        BOOST_TEST(out.find("remove " + c.name(r) + ": done") != std::string::npos, out);
    }
    // Back at three voters, raft.minClusterSize (3) refuses one more removal, by name.
    {
        const int rc = run_command(
            {RAFTOR_BIN, "ctl", "--endpoints", c.http_address(remaining[0]), "member", "remove", c.name(remaining[0])},
            out);
        BOOST_TEST(rc != 0, out);
        BOOST_TEST(out.find("409") != std::string::npos, out);
        BOOST_TEST(out.find("raft.minClusterSize (3)") != std::string::npos, out);
    }
    // The removed leader handed leadership over first. A removed node stops hearing
    // from the leader (it may never see the entry that removed it), so it turns unready.
    BOOST_TEST(c.log(removed[0]).find("leadership_handover") != std::string::npos);
    for (int r : removed)
        BOOST_TEST(eventually([&] { return c.call(r, "GET", "/health/ready").status == 503; }, 15s), c.name(r));
    const auto before_stop = w.acked().size();
    BOOST_REQUIRE(eventually([&] { return w.acked().size() >= before_stop + 100; }, 30s));
    w.stop();
    for (int r : removed) BOOST_TEST(c.stop(r) == 0);

    const int now = *c.agreed_leader(15s);
    std::vector<std::string> expected;
    for (int i : remaining) expected.push_back(c.name(i));
    BOOST_TEST(voters(members_of(c, now)) == expected, members_of(c, now).dump());

    // Every acknowledged write is there, read linearizably from each remaining member.
    const auto acked = w.acked();
    BOOST_TEST_MESSAGE("acknowledged writes: " << acked.size() << ", refused or retried: " << w.refused());
    std::size_t missing = 0;
    for (int i : remaining) {
        for (const auto& [k, v] : acked) {
            auto r = c.call(i, "GET", "/kv/" + k);
            if (r.status != 200 || parse(r).value("value", "") != v) {
                if (++missing < 5) BOOST_ERROR(c.name(i) + " lost " + k + ": " + describe(r));
            }
        }
    }
    BOOST_TEST(missing == 0u);
}

BOOST_AUTO_TEST_CASE(drain_transfer_snapshot_and_shutdown) {
    ClusterOptions o;
    o.auth_token = "s3cret-0123456789abcdef0123456789abcdef";
    ProcessCluster c(o);
    int leader = c.start_and_elect();
    const std::vector<std::pair<std::string, std::string>> auth{
        {"Authorization", "Bearer s3cret-0123456789abcdef0123456789abcdef"}, {"Content-Type", "application/json"}};
    // Admin requests need the token, reads too.
    BOOST_TEST(c.call(leader, "POST", "/admin/snapshot").status == 401);
    BOOST_TEST(c.call(leader, "GET", "/admin/members").status == 401);
    BOOST_TEST(c.call(leader, "POST", "/shutdown", "", {{"Authorization", "Bearer wrong"}}).status == 403);

    // Snapshot now: taken at the applied index; again with nothing new: not taken.
    auto s1 = c.call(leader, "POST", "/admin/snapshot", "", auth);
    BOOST_TEST_REQUIRE(s1.status == 200, describe(s1));
    BOOST_TEST(parse(s1)["taken"] == true);
    auto s2 = c.call(leader, "POST", "/admin/snapshot", "", auth);
    BOOST_TEST(parse(s2)["taken"] == false, describe(s2));
    BOOST_TEST(parse(s2)["index"] == parse(s1)["index"]);

    // Transfer to a named follower, asked through another follower (forwarded).
    const int target = (leader + 1) % 3, via = (leader + 2) % 3;
    auto t = c.call(via, "POST", "/admin/transfer-leader?to=" + c.name(target), "", auth, 20s);
    BOOST_TEST_REQUIRE(t.status == 200, describe(t));
    BOOST_TEST(parse(t)["leader"] == c.name(target));
    BOOST_TEST(*c.agreed_leader(10s) == target);
    auto unknown = c.call(target, "POST", "/admin/transfer-leader?to=node-9", "", auth);
    BOOST_TEST(unknown.status == 404, describe(unknown));
    leader = target;

    // Drain the leader while a 1.5 s handler runs on it: the handler finishes (it is
    // not cancelled), then leadership moves, then the node reports itself drained.
    auto op = c.call(leader, "POST", "/operations",
                     R"J({"id":"slow","handler":{"kind":"exec","argv":["/bin/sh","-c","sleep 1.5; echo ok"]}})J", auth);
    BOOST_TEST_REQUIRE(op.status == 201, describe(op));
    auto ex = c.call(leader, "POST", "/execute/slow", "", auth);
    BOOST_TEST_REQUIRE(ex.status == 202, describe(ex));
    const std::string id = parse(ex)["executionId"];
    BOOST_REQUIRE(eventually(
        [&] { return parse(c.call(leader, "GET", "/executions/" + id, "", auth))["status"] == "running"; }, 10s));
    std::string out;
    const int rc = run_command({RAFTOR_BIN, "ctl", "--endpoints", c.http_address(leader), "--token",
                                "s3cret-0123456789abcdef0123456789abcdef", "drain"},
                               out);
    BOOST_TEST_REQUIRE(rc == 0, out);
    BOOST_TEST(out.find("is drained") != std::string::npos, out);
    auto done = parse(c.call(leader, "GET", "/executions/" + id, "", auth));
    BOOST_TEST(done["status"] == "success", done.dump());
    const int next = *c.agreed_leader(10s);
    BOOST_TEST(next != leader);
    auto ready = c.call(leader, "GET", "/health/ready");
    BOOST_TEST(ready.status == 503);
    BOOST_TEST(parse(ready).value("reason", "").find("drained") != std::string::npos, describe(ready));
    BOOST_TEST(parse(c.call(leader, "GET", "/admin/drain", "", auth))["drained"] == true);
    // A drained node does not keep leadership handed back to it.
    auto back = c.call(next, "POST", "/admin/transfer-leader?to=" + c.name(leader), "", auth, 20s);
    BOOST_TEST(back.status == 200, describe(back));
    BOOST_REQUIRE(eventually([&] { return c.agreed_leader(1s).value_or(leader) != leader; }, 15s));
    BOOST_TEST(c.log(leader).find("reason=drained") != std::string::npos);
    auto undrained = c.call(leader, "POST", "/admin/undrain", "", auth);
    BOOST_TEST(undrained.status == 200, describe(undrained));
    BOOST_TEST(eventually([&] { return c.call(leader, "GET", "/health/ready").status == 200; }, 10s));

    // POST /shutdown: 202, then the graceful stop (exit 0).
    const int follower = (*c.agreed_leader(10s) + 1) % 3;
    auto sd = c.call(follower, "POST", "/shutdown", "", auth);
    BOOST_TEST(sd.status == 202, describe(sd));
    BOOST_TEST(c.stop(follower, 15s) == 0);
    BOOST_TEST(c.log(follower).find("shutdown_requested") != std::string::npos);
    BOOST_TEST(c.log(follower).find("node_stopped") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_full_lmdb_map_refuses_writes_stays_readable_and_recovers_without_a_restart) {
    ClusterOptions o;
    o.extra_json = "\"storageMapBytes\": 1048576, ";  // 1 MiB: the state snapshot soon does not fit
    o.snapshot_interval_ops = 100;
    ProcessCluster c(o);
    c.start_and_elect();
    const std::string value(3000, 'v');
    std::map<std::string, bool> acked;
    http::ClientResult refused;
    int n = 0;
    for (; n < 2000; ++n) {
        const std::string key = "big-" + std::to_string(n);
        auto r = c.call(n % 3, "PUT", "/kv/" + key, value, {}, 10s);
        if (r.ok() && r.status == 200) {
            acked[key] = true;
            continue;
        }
        refused = r;
        if (r.ok() && r.status == 507) break;
        // No leader for a moment (a full leader hands leadership over): try again.
        std::this_thread::sleep_for(100ms);
    }
    BOOST_TEST_REQUIRE(refused.status == 507, describe(refused));
    BOOST_TEST(parse(refused)["code"] == "storage_full");
    BOOST_TEST(parse(refused).value("detail", "").find("MDB_MAP_FULL") != std::string::npos, describe(refused));
    BOOST_TEST_MESSAGE(acked.size() << " writes acknowledged before the map filled");
    // Readable: linearizable reads of what was acknowledged; health and metrics say why.
    for (int i = 0; i < 3; ++i) {
        auto r = c.call(i, "GET", "/kv/big-1");
        BOOST_TEST(r.status == 200, describe(r));
    }
    // A majority cannot store the snapshot: the cluster refuses writes. A follower that
    // was behind the leader reaches its own snapshot (and the full map) a little later.
    int full_nodes = 0;
    for (auto until = std::chrono::steady_clock::now() + 10s;
         full_nodes < 2 && std::chrono::steady_clock::now() < until; std::this_thread::sleep_for(100ms)) {
        full_nodes = 0;
        for (int i = 0; i < 3; ++i) {
            auto h = parse(c.call(i, "GET", "/health"));
            if (!h.contains("storage")) continue;
            ++full_nodes;
            BOOST_TEST(h["storage"]["full"] == true);
            BOOST_TEST(c.call(i, "GET", "/metrics?format=text").body.find("\nstorage_full 1\n") != std::string::npos);
        }
    }
    BOOST_TEST(full_nodes >= 2);
    // More room, no restart: every node's map grows, the waiting writes go through.
    for (int i = 0; i < 3; ++i) {
        auto r = c.call(i, "POST", "/admin/storage", R"({"mapBytes": 67108864})", {}, 30s);
        BOOST_TEST(r.status == 200, describe(r));
    }
    BOOST_REQUIRE(eventually(
        [&] {
            for (int i = 0; i < 3; ++i)
                if (parse(c.call(i, "GET", "/health")).contains("storage")) return false;
            return true;
        },
        15s));
    for (int k = 0; k < 50; ++k) {
        const std::string key = "after-" + std::to_string(k);
        auto r = c.call(k % 3, "PUT", "/kv/" + key, value, {}, 10s);
        BOOST_REQUIRE(eventually(
            [&] {
                if (r.ok() && r.status == 200) return true;
                r = c.call(k % 3, "PUT", "/kv/" + key, value, {}, 10s);
                return r.ok() && r.status == 200;
            },
            20s));
        acked[key] = true;
    }
    for (const auto& [key, _] : acked) {
        auto r = c.call(0, "GET", "/kv/" + key);
        BOOST_TEST(r.status == 200, key + ": " + describe(r));
    }
    for (int i = 0; i < 3; ++i) {
        BOOST_TEST(c.running(i));
        BOOST_TEST(c.log(i).find("node_stopped") == std::string::npos);
        BOOST_TEST(c.log(i).find("storage_failed") == std::string::npos);
    }
    BOOST_TEST(c.log(0).find("storage_full") != std::string::npos);
}
