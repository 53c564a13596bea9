#define BOOST_TEST_MODULE operations_cluster
// The operations daemon end to end, on real `raftor node` processes: the runbook's
// flow, a 1 s schedule while leaders are killed, policies, triggers, receipts that
// verify offline, and bad input.
#include <signal.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "runtime/exec/run_as.hpp"
#include "runtime/http/operations_api.hpp"
#include "runtime/http/receipt_pages.hpp"
#include "runtime/schedule/schedule.hpp"
#include "tests/cluster/process_cluster.hpp"
#include "tests/common/history_pages.hpp"
#include "tests/common/proc_file.hpp"

using namespace raftor;
using raftor::testing::ClusterOptions;
using raftor::testing::ProcessCluster;
using raftor::testing::run_command;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

int leader_of(ProcessCluster& c) {
    auto l = c.agreed_leader(15s);
    BOOST_REQUIRE_MESSAGE(l.has_value(), "no agreed leader");
    return *l;
}

json get_json(ProcessCluster& c, int i, const std::string& target) {
    auto r = c.call(i, "GET", target);
    BOOST_REQUIRE_MESSAGE(r.ok() && r.status == 200,
                          target + ": " + r.error + " " + std::to_string(r.status) + " " + r.body);
    return json::parse(r.body);
}

json post_ok(ProcessCluster& c, int i, const std::string& target, const std::string& body, int status = 201) {
    auto r = c.call(i, "POST", target, body, {{"Content-Type", "application/json"}});
    BOOST_REQUIRE_MESSAGE(r.ok() && r.status == status,
                          target + ": " + r.error + " " + std::to_string(r.status) + " " + r.body);
    return json::parse(r.body, nullptr, false);
}

// Waits until the history of `op` has `n` final entries (on node i).
json wait_history(ProcessCluster& c, int i, const std::string& op, std::size_t n, std::chrono::milliseconds within) {
    const auto end = std::chrono::steady_clock::now() + within;
    json h;
    while (std::chrono::steady_clock::now() < end) {
        auto page = testing::whole_history(op, [&](const std::string& target) -> std::optional<json> {
            auto r = c.call(i, "GET", target);
            if (!r.ok() || r.status != 200) return std::nullopt;
            return json::parse(r.body, nullptr, false);
        });
        if (page) {
            h = std::move(*page);
            std::size_t final = 0;
            for (const auto& e : h) {
                const std::string s = e["status"];
                if (s != "queued" && s != "running" && s != "retrying") ++final;
            }
            if (final >= n) return h;
        }
        std::this_thread::sleep_for(50ms);
    }
    BOOST_FAIL("history of " + op + " did not reach " + std::to_string(n) + " final entries: " + h.dump());
    return h;
}

// The receipt chain of node i, checked offline: every link, batch and signature.
crypto::ChainCheck verify_receipts(ProcessCluster& c, int i, std::size_t& count, std::set<std::string>& signers) {
    // Wait until every receipt is sealed (the leader seals right after each finish).
    http::ReceiptDump d;
    for (int tries = 0; tries < 100; ++tries) {
        http::ReceiptPages pages;
        std::string error;
        while (!pages.done()) {
            auto r = c.call(i, "GET", pages.next_target());
            BOOST_REQUIRE(r.ok() && r.status == 200);
            BOOST_REQUIRE_MESSAGE(pages.add(r.body, error), error);
        }
        auto dump = http::receipts_from_json(pages.dump(error), error);
        BOOST_REQUIRE_MESSAGE(dump, error);
        d = std::move(*dump);
        if (d.sealed_through == d.head.sequence) break;
        std::this_thread::sleep_for(50ms);
    }
    count = d.receipts.size();
    for (const auto& r : d.receipts) signers.insert(r.signer);
    return crypto::verify_chain(d.receipts, d.keys, d.head, d.base_sequence, d.base_hash);
}

// `raftor ctl receipts verify` on the cluster and on a dump; then one byte of the dump
// is changed (a hex digit of receipt `victim`'s output hash) and verify must fail,
// naming that receipt.
void ctl_verify_and_tamper(ProcessCluster& c, std::uint64_t victim) {
    std::string endpoints;
    for (int i = 0; i < c.size(); ++i) endpoints += (i ? "," : "") + c.http_address(i);
    std::string out;
    BOOST_TEST(run_command({RAFTOR_BIN, "ctl", "--endpoints", endpoints, "receipts", "verify"}, out) == 0, out);
    BOOST_TEST(out.find("OK: the cluster: ") == 0u, out);
    BOOST_TEST_MESSAGE(out);
    const std::string file = (c.dir(0).parent_path() / "receipts.json").string();
    BOOST_TEST(run_command({RAFTOR_BIN, "ctl", "--endpoints", endpoints, "receipts", "dump", "--out", file}, out) == 0,
               out);
    BOOST_TEST(run_command({RAFTOR_BIN, "ctl", "receipts", "verify", "--file", file}, out) == 0, out);
    std::string text;
    {
        std::ifstream in(file);
        text.assign(std::istreambuf_iterator<char>(in), {});
    }
    const std::string original = text;
    // The victim's output hash, inside the same receipt object as its "sequence".
    const std::size_t at = text.find("\"sequence\":" + std::to_string(victim) + ",");
    BOOST_REQUIRE(at != std::string::npos);
    const std::size_t h = text.rfind("\"outputHash\":\"", at);  // keys are sorted: it comes before
    BOOST_REQUIRE(h != std::string::npos);
    char& digit = text[h + 14];
    digit = digit == '0' ? '1' : '0';
    {
        std::ofstream o(file, std::ios::trunc);
        o << text;
    }
    BOOST_TEST(run_command({RAFTOR_BIN, "ctl", "receipts", "verify", "--file", file}, out) == 1, out);
    BOOST_TEST(out.find("FAILED") == 0u, out);
    BOOST_TEST(out.find("receipt " + std::to_string(victim) + " (execution") != std::string::npos, out);
    BOOST_TEST_MESSAGE(out);
    // The receipt's own "hash" is derived: a file that states another one is caught too.
    {
        std::string fixed = original;
        const std::size_t hh = fixed.rfind("\"hash\":\"", at);
        BOOST_REQUIRE(hh != std::string::npos);
        fixed[hh + 8] = fixed[hh + 8] == '0' ? '1' : '0';
        std::ofstream o(file, std::ios::trunc);
        o << fixed;
    }
    BOOST_TEST(run_command({RAFTOR_BIN, "ctl", "receipts", "verify", "--file", file}, out) == 1, out);
    BOOST_TEST(out.find("receipt " + std::to_string(victim) + " (ex-") != std::string::npos, out);
    BOOST_TEST(out.find("is not the hash of its contents") != std::string::npos, out);
    // Unsigned receipts prove nothing in a file: one that claims to be sealed less far fails.
    {
        json j = json::parse(text);
        j["sealedThrough"] = victim - 1;
        std::ofstream o(file, std::ios::trunc);
        o << j.dump();
    }
    BOOST_TEST(run_command({RAFTOR_BIN, "ctl", "receipts", "verify", "--file", file}, out) == 1, out);
    BOOST_TEST(out.find("receipt " + std::to_string(victim) + " is not sealed") != std::string::npos, out);
    // A file that is not a dump is named as such (exit 2), not called verified.
    BOOST_TEST(run_command({RAFTOR_BIN, "ctl", "receipts", "verify", "--file", file + ".absent"}, out) == 2, out);
    BOOST_TEST(out.find("cannot open") != std::string::npos, out);

    // A range, archived on its own and verified by its signatures alone.
    const std::string range = (c.dir(0).parent_path() / "range.json").string();
    BOOST_TEST(run_command({RAFTOR_BIN, "ctl", "--endpoints", endpoints, "receipts", "dump", "--from", "3", "--to", "9",
                            "--out", range},
                           out) == 0,
               out);
    BOOST_TEST(out.find("wrote 7 receipts to " + range) == 0u, out);
    BOOST_TEST(run_command({RAFTOR_BIN, "ctl", "receipts", "verify", "--file", range}, out) == 0, out);
    BOOST_TEST(out.find("OK: " + range + ": 7 receipts (3..9)") == 0u, out);
    BOOST_TEST(run_command({RAFTOR_BIN, "ctl", "--endpoints", endpoints, "receipts", "dump", "--from", "9", "--to", "3",
                            "--out", range},
                           out) == 2,
               out);
    BOOST_TEST(out.find("--to 3 is before --from 9") != std::string::npos, out);

    // The receipts inside a backup: the archive checked, then its state's chain.
    const std::string archive = (c.dir(0).parent_path() / "backup.tar").string();
    BOOST_TEST(run_command({RAFTOR_BIN, "ctl", "--endpoints", endpoints, "backup", "--out", archive}, out) == 0, out);
    BOOST_TEST(run_command({RAFTOR_BIN, "ctl", "receipts", "verify", "--backup", archive}, out) == 0, out);
    BOOST_TEST(out.find("OK: backup " + archive + ": ") == 0u, out);
    BOOST_TEST(out.find(" signed batches by ") != std::string::npos, out);
    BOOST_TEST_MESSAGE(out);
    // One byte of the archive changed: refused, and not as unreadable.
    std::string bytes;
    {
        std::ifstream in(archive, std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    BOOST_REQUIRE(bytes.size() > 4096u);
    bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x5a);
    {
        std::ofstream o(archive, std::ios::binary | std::ios::trunc);
        o << bytes;
    }
    BOOST_TEST(run_command({RAFTOR_BIN, "ctl", "receipts", "verify", "--backup", archive}, out) == 1, out);
    BOOST_TEST(out.find("FAILED: backup " + archive + ": ") == 0u, out);
    BOOST_TEST_MESSAGE(out);
    BOOST_TEST(run_command({RAFTOR_BIN, "ctl", "receipts", "verify", "--backup", archive + ".absent"}, out) == 2, out);
    BOOST_TEST(out.find("cannot open") != std::string::npos, out);
}

}  // namespace

BOOST_AUTO_TEST_CASE(wait_true_answers_when_the_execution_ends_or_the_wait_does) {
    ClusterOptions o;
    o.nodes = 1;
    ProcessCluster c(o);
    const int n = c.start_and_elect();
    post_ok(c, n, "/operations",
            R"J({"id":"slow","name":"slow","handler":{"kind":"exec","argv":["/bin/sleep","2"]}})J");
    // A wait shorter than the execution: answered pending when the wait is over.
    auto asked = std::chrono::steady_clock::now();
    auto pending = c.call(n, "POST", "/execute/slow?wait=true&timeoutMs=400");
    auto waited = std::chrono::steady_clock::now() - asked;
    BOOST_TEST(pending.status == 202, pending.body);
    BOOST_TEST(json::parse(pending.body)["status"] == "pending");
    BOOST_TEST(waited >= 350ms);
    BOOST_TEST(waited < 1800ms);
    // A longer one: answered when the execution ends (told by the state machine, not polled).
    asked = std::chrono::steady_clock::now();
    auto done = c.call(n, "POST", "/execute/slow?wait=true&timeoutMs=20000", "", {}, 30s);
    waited = std::chrono::steady_clock::now() - asked;
    BOOST_TEST(done.status == 200, done.body);
    BOOST_TEST(json::parse(done.body)["status"] == "success");
    BOOST_TEST(waited >= 1900ms);
    BOOST_TEST(waited < 10s);
    // Several waiters at once, on the same operation: each gets its own execution.
    std::vector<std::thread> clients;
    std::vector<int> statuses(4, 0);
    for (int i = 0; i < 4; ++i)
        clients.emplace_back([&, i] {
            statuses[static_cast<std::size_t>(i)] =
                c.call(n, "POST", "/execute/slow?wait=true&timeoutMs=20000", "", {}, 30s).status;
        });
    for (auto& t : clients) t.join();
    BOOST_TEST((statuses == std::vector<int>{200, 200, 200, 200}));
}

BOOST_AUTO_TEST_CASE(the_runbook_flow_register_execute_history_and_a_receipt) {
    ProcessCluster c(ClusterOptions{});
    c.start_all();
    const int leader = leader_of(c);
    const int follower = (leader + 1) % 3;
    // Through a follower: forwarded to the leader.
    post_ok(
        c, follower, "/operations",
        R"J({"id":"test-op","name":"Test Operation","handler":{"kind":"exec","argv":["/bin/sh","-c","echo success"]}})J");
    post_ok(c, follower, "/execute/test-op", "", 202);
    json h = wait_history(c, follower, "test-op", 1, 10s);
    const json& last = h.back();
    BOOST_TEST(last["status"] == "success");
    BOOST_TEST(last["duration"].is_number());
    BOOST_TEST(last["output"] == "success\n");
    BOOST_TEST(last["exitCode"] == 0);
    // ?wait=true answers with the result.
    auto w = c.call(leader, "POST", "/execute/test-op?wait=true");
    BOOST_REQUIRE(w.ok());
    BOOST_TEST(w.status == 200);
    BOOST_TEST(json::parse(w.body)["status"] == "success");
    const std::string id = json::parse(w.body)["executionId"];
    json e = get_json(c, follower, "/executions/" + id);
    BOOST_TEST(e["operationId"] == "test-op");
    // The receipt, with its proof, on any node.
    for (int tries = 0; tries < 100; ++tries) {
        json r = get_json(c, (leader + 2) % 3, "/receipts/" + id);
        if (r["sealed"] == true) break;
        std::this_thread::sleep_for(50ms);
    }
    json r = get_json(c, (leader + 2) % 3, "/receipts/" + id);
    BOOST_TEST(r["sealed"] == true);
    BOOST_TEST(r["executionId"] == id);
    BOOST_TEST(r["signer"] == c.name(leader));
    std::size_t n = 0;
    std::set<std::string> signers;
    for (int i = 0; i < 3; ++i) {
        auto check = verify_receipts(c, i, n, signers);
        BOOST_TEST(check.ok, check.error);
        BOOST_TEST(n == 2u);
    }
    // A retried request (same X-Client-Id and X-Request-Seq, through a follower) gets the
    // first answer back and runs nothing twice.
    const std::vector<std::pair<std::string, std::string>> rid{{"X-Client-Id", "42"}, {"X-Request-Seq", "1"}};
    auto x1 = c.call(follower, "POST", "/execute/test-op", "", rid);
    auto x2 = c.call(leader, "POST", "/execute/test-op", "", rid);
    BOOST_REQUIRE(x1.ok() && x2.ok());
    BOOST_TEST(x1.status == 202, x1.body);
    BOOST_TEST(x2.body == x1.body);
    BOOST_TEST(x2.headers["x-raftor-replayed"] == "true");
    BOOST_TEST(x1.headers.count("x-raftor-replayed") == 0u);
    BOOST_TEST(wait_history(c, leader, "test-op", 3, 10s).size() == 3u);
    auto bad_id = c.call(follower, "POST", "/execute/test-op", "", {{"X-Client-Id", "42"}});
    BOOST_TEST(bad_id.status == 400);
    BOOST_TEST(bad_id.body.find("X-Request-Seq") != std::string::npos, bad_id.body);

    json ops = get_json(c, follower, "/operations");
    BOOST_TEST(ops.size() == 1u);
    // Hot definitions come from the gateway's cache: the second read of the same version hits.
    get_json(c, follower, "/operations/test-op");
    json gw = get_json(c, follower, "/debug/actors/http_gateway");
    BOOST_TEST_MESSAGE("gateway cache: " << gw["state"].dump());
    BOOST_TEST(std::stoul(gw["state"]["cacheHits"].get<std::string>()) >= 1u, gw.dump());
    BOOST_TEST(gw["state"]["cacheSize"] == "1", gw.dump());
    BOOST_TEST(gw["state"]["cacheMaxSize"] == "1000", gw.dump());
    BOOST_TEST(ops[0]["id"] == "test-op");
    auto del = c.call(follower, "DELETE", "/operations/test-op");
    BOOST_TEST(del.status == 200);
    BOOST_TEST(c.call(follower, "GET", "/operations/test-op").status == 404);
    // Re-created under the same id (its version starts again at 1): never the cached old one.
    post_ok(c, follower, "/operations", R"J({"id":"test-op","name":"Again","handler":{"kind":"noop"}})J");
    json again = get_json(c, follower, "/operations/test-op");
    BOOST_TEST(again["name"] == "Again");
    BOOST_TEST(again["version"] == 1);
}

BOOST_AUTO_TEST_CASE(a_one_second_schedule_fires_every_slot_once_while_the_leader_is_killed_twice) {
    ProcessCluster c(ClusterOptions{});
    c.start_all();
    int leader = leader_of(c);
    post_ok(
        c, leader, "/operations",
        R"J({"id":"tick","name":"every second","handler":{"kind":"noop"},"schedule":"@every 1s","catchUp":"all"})J");
    const auto begin = std::chrono::steady_clock::now();
    // The console shows the leader's next fires.
    BOOST_TEST(testing::eventually([&] {
        const auto next = get_json(c, leader, "/debug/actors/scheduler")["state"]["nextFires"].get<std::string>();
        return next.rfind("tick at 20", 0) == 0;
    }));
    for (int kill = 0; kill < 2; ++kill) {
        std::this_thread::sleep_for(kill == 0 ? 15s : 20s);
        leader = leader_of(c);
        c.kill(leader, SIGKILL);
        std::this_thread::sleep_for(3s);
        c.start(leader);
    }
    while (std::chrono::steady_clock::now() - begin < 60s) std::this_thread::sleep_for(200ms);
    leader = leader_of(c);
    std::this_thread::sleep_for(2s);  // the last slots finish
    json h = *testing::whole_history(
        "tick", [&](const std::string& target) -> std::optional<json> { return get_json(c, leader, target); });
    std::vector<std::int64_t> slots;
    std::size_t success = 0;
    for (const auto& e : h) {
        if (!e.contains("slot")) continue;
        slots.push_back(*schedule::parse_rfc3339(e["slot"].get<std::string>()));
        if (e["status"] == "success") ++success;
    }
    std::sort(slots.begin(), slots.end());
    BOOST_TEST_MESSAGE("slots fired: " << slots.size() << ", success: " << success);
    BOOST_TEST(slots.size() >= 58u);
    // Every slot once: no duplicates, no gaps from the first to the last.
    for (std::size_t i = 1; i < slots.size(); ++i) BOOST_TEST(slots[i] - slots[i - 1] == 1000, "slot " << i);
    BOOST_TEST(success + 2 >= slots.size());  // at most the slots still running at the end
    std::size_t n = 0;
    std::set<std::string> signers;
    auto check = verify_receipts(c, leader, n, signers);
    BOOST_TEST(check.ok, check.error);
    BOOST_TEST(signers.size() >= 2u);  // receipts verify across leader changes
    ctl_verify_and_tamper(c, n / 2);
}

BOOST_AUTO_TEST_CASE(timeouts_kill_the_group_retries_back_off_forbid_never_overlaps_and_triggers_fire_once) {
    ProcessCluster c(ClusterOptions{});
    c.start_all();
    const int leader = leader_of(c);
    // A sleep of a length no other process runs, found by its argument: the handler
    // runs in a PID namespace, so a pid it wrote down would not be the node's.
    const std::string marker = "30." + std::to_string(::getpid()) + "7";
    post_ok(c, leader, "/operations",
            R"J({"id":"slow","name":"s","timeoutMs":500,"handler":{"kind":"exec","argv":["/bin/sh","-c","sleep )J" +
                marker + R"J( & wait"]}})J");
    post_ok(c, leader, "/operations",
            R"J({"id":"flaky","name":"f","retries":2,"retryBackoffMs":200,"handler":{"kind":"fail","message":"no"}})J");
    post_ok(c, leader, "/operations",
            R"J({"id":"one","name":"o","concurrency":"forbid","handler":{"kind":"sleep","ms":300}})J");
    post_ok(c, leader, "/operations",
            R"J({"id":"a","name":"a","triggers":{"topics":["deploy"]},"handler":{"kind":"noop"}})J");
    post_ok(c, leader, "/operations",
            R"J({"id":"b","name":"b","triggers":{"afterSuccess":["a"]},"handler":{"kind":"noop"}})J");

    // http handlers: this cluster's own KV on loopback; a 404 fails with its status.
    const std::string self_url = "http://" + c.http_address(leader);
    post_ok(c, leader, "/operations",
            R"J({"id":"hook","name":"h","handler":{"kind":"http","method":"PUT","url":")J" + self_url +
                R"J(/kv/hooked","body":"called"}})J");
    post_ok(c, leader, "/operations",
            R"J({"id":"hook404","name":"h","handler":{"kind":"http","method":"GET","url":")J" + self_url +
                R"J(/no/such/route"}})J");
    for (const char* url : {"http://10.9.8.7:80/x", "https://10.9.8.7/x", "ftp://127.0.0.1/"}) {
        auto r = c.call(leader, "POST", "/operations",
                        R"J({"id":"far","name":"f","handler":{"kind":"http","url":")J" + std::string(url) + "\"}}");
        BOOST_TEST(r.status == 400, url << ": " << r.body);
        BOOST_TEST(r.body.find("handler.url") != std::string::npos, r.body);
    }
    post_ok(c, leader, "/execute/hook", "", 202);
    post_ok(c, leader, "/execute/hook404", "", 202);

    post_ok(c, leader, "/execute/slow", "", 202);
    // The console shows a handler while it runs.
    post_ok(c, leader, "/operations", R"J({"id":"long","name":"l","handler":{"kind":"sleep","ms":3000}})J");
    post_ok(c, leader, "/execute/long", "", 202);
    BOOST_TEST(testing::eventually([&] {
        const auto running =
            get_json(c, leader, "/debug/actors/executor")["state"]["runningHandlers"].get<std::string>();
        return running.find("(long, try 1) for ") != std::string::npos;
    }));
    post_ok(c, leader, "/execute/flaky", "", 202);
    for (int i = 0; i < 3; ++i) post_ok(c, leader, "/execute/one", "", 202);
    post_ok(c, leader, "/events/deploy", "{}", 202);

    json slow = wait_history(c, leader, "slow", 1, 10s);
    BOOST_TEST(slow.back()["status"] == "timeout");
    auto sleeping = [&] {
        for (const auto& e : std::filesystem::directory_iterator("/proc")) {
            const std::string cmd = testing::read_proc_file((e.path() / "cmdline").string());
            const std::string stat = testing::read_proc_file((e.path() / "stat").string());
            const auto close = stat.rfind(')');
            const bool zombie = close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z';
            if (!zombie && cmd.find(std::string(1, '\0') + marker) != std::string::npos) return true;
        }
        return false;
    };
    BOOST_TEST(testing::eventually([&] { return !sleeping(); }), "the handler's background child outlived its timeout");

    json flaky = wait_history(c, leader, "flaky", 1, 10s);
    BOOST_TEST(flaky.back()["status"] == "failed");
    BOOST_TEST(flaky.back()["attempt"] == 3);
    json one = wait_history(c, leader, "one", 3, 10s);
    // Never two runs at once: successes do not overlap, the others were skipped.
    std::vector<std::pair<std::int64_t, std::int64_t>> runs;
    for (const auto& e : one) {
        if (e["status"] != "success") {
            BOOST_TEST(e["status"] == "skipped");
            continue;
        }
        const auto s = *schedule::parse_rfc3339(e["startedAt"].get<std::string>());
        runs.emplace_back(s, s + e["duration"].get<std::int64_t>());
    }
    BOOST_TEST(!runs.empty());
    std::sort(runs.begin(), runs.end());
    for (std::size_t i = 1; i < runs.size(); ++i) BOOST_TEST(runs[i].first >= runs[i - 1].second);
    json hook = wait_history(c, leader, "hook", 1, 10s);
    BOOST_TEST(hook.back()["status"] == "success", hook.dump());
    BOOST_TEST(hook.back()["exitCode"] == 200);
    BOOST_TEST(get_json(c, leader, "/kv/hooked")["value"] == "called");
    json hook404 = wait_history(c, leader, "hook404", 1, 10s);
    BOOST_TEST(hook404.back()["status"] == "failed", hook404.dump());
    BOOST_TEST(hook404.back()["exitCode"] == 404);
    wait_history(c, leader, "b", 1, 10s);
    std::this_thread::sleep_for(500ms);
    BOOST_TEST(get_json(c, leader, "/operations/a/history").size() == 1u);
    BOOST_TEST(get_json(c, leader, "/operations/b/history").size() == 1u);
    std::size_t n = 0;
    std::set<std::string> signers;
    BOOST_TEST(verify_receipts(c, (leader + 1) % 3, n, signers).ok);
}

BOOST_AUTO_TEST_CASE(event_filters_pick_the_bodies_and_an_idle_trigger_fires_once_per_quiet_spell) {
    ProcessCluster c(ClusterOptions{});
    c.start_all();
    const int leader = leader_of(c);
    post_ok(
        c, leader, "/operations",
        R"J({"id":"prod","triggers":{"topics":["deploy"],"filter":{"env":"prod","app.replicas":3}},"handler":{"kind":"noop"}})J");
    post_ok(c, leader, "/operations", R"J({"id":"work","handler":{"kind":"noop"}})J");
    post_ok(c, leader, "/operations",
            R"J({"id":"tidy","triggers":{"idleThresholdMs":1500},"handler":{"kind":"noop"}})J");
    // The definition is shown back with its triggers.
    const json shown = get_json(c, (leader + 1) % 3, "/operations/prod");
    BOOST_TEST(shown["triggers"]["filter"]["env"] == "prod", shown.dump());

    for (const char* body : {R"({"env":"dev","app":{"replicas":3}})", R"({"env":"prod","app":{"replicas":2}})",
                             "not json", R"({"env":"prod","app":{"replicas":3}})"})
        post_ok(c, leader, "/events/deploy", body, 202);
    json prod = wait_history(c, leader, "prod", 1, 10s);
    // The quiet spell after the events: tidy runs once, with cause idle.
    json tidy = wait_history(c, leader, "tidy", 1, 10s);
    BOOST_TEST(tidy.size() == 1u);
    const json idle_run = get_json(c, leader, "/executions/" + tidy.back()["executionId"].get<std::string>());
    BOOST_TEST(idle_run["cause"] == "idle", idle_run.dump());
    BOOST_TEST(get_json(c, leader, "/operations/prod/history").size() == 1u);  // only the matching body
    std::this_thread::sleep_for(3s);  // two thresholds: still once, its own run is no activity
    BOOST_TEST(get_json(c, leader, "/operations/tidy/history").size() == 1u);
    // Work, then quiet again: once more.
    post_ok(c, leader, "/execute/work?wait=true", "", 200);
    tidy = wait_history(c, leader, "tidy", 2, 10s);
    BOOST_TEST(tidy.size() == 2u);
    const json work = get_json(c, leader, "/operations/work/history")[0];
    const auto worked =
        *schedule::parse_rfc3339(work["startedAt"].get<std::string>()) + work["duration"].get<std::int64_t>();
    const auto tidied = *schedule::parse_rfc3339(tidy.back()["createdAt"].get<std::string>());
    BOOST_TEST(tidied - worked >= 1500, "tidy ran " << tidied - worked << " ms after work finished");
}

BOOST_AUTO_TEST_CASE(exec_handlers_run_as_the_configured_user_with_the_configured_environment) {
    std::string error;
    const auto nobody = exec::resolve_run_as("nobody", error);
    ClusterOptions o;
    o.nodes = 1;
    o.extra_json = R"J("handlers": {"env": {"GREETING": "hi", "PATH": "/usr/bin:/bin"})J";
    if (nobody)
        o.extra_json += R"J(, "user": "nobody"}, )J";
    else
        o.extra_json += "}, ";
    ProcessCluster c(o);
    c.start_all();
    leader_of(c);
    post_ok(
        c, 0, "/operations",
        R"J({"id":"who","name":"w","handler":{"kind":"exec","argv":["sh","-c","echo $(id -u) $GREETING $PATH"]}})J");
    post_ok(
        c, 0, "/operations",
        R"J({"id":"own","name":"o","handler":{"kind":"exec","argv":["sh","-c","echo $GREETING"],"env":{"GREETING":"own"}}})J");
    const json who = post_ok(c, 0, "/execute/who?wait=true", "", 200);
    const std::string uid = std::to_string(nobody ? nobody->uid : ::geteuid());
    BOOST_TEST(who["output"] == uid + " hi /usr/bin:/bin\n", who.dump());
    BOOST_TEST(post_ok(c, 0, "/execute/own?wait=true", "", 200)["output"] == "own\n");
    if (!nobody) BOOST_TEST_MESSAGE("not root: handlers.user not tried end to end (" << error << ")");
}

BOOST_AUTO_TEST_CASE(bad_operations_get_clear_errors_that_name_the_field) {
    ClusterOptions o;
    o.nodes = 1;
    o.max_body_bytes = 64 * 1024;
    ProcessCluster c(o);
    c.start_all();
    leader_of(c);
    auto expect = [&](const std::string& body, int status, const std::string& names) {
        auto r = c.call(0, "POST", "/operations", body, {{"Content-Type", "application/json"}});
        BOOST_REQUIRE(r.ok());
        BOOST_TEST(r.status == status, body << " -> " << r.status << " " << r.body);
        BOOST_TEST(r.body.find(names) != std::string::npos, body << " -> " << r.body);
    };
    expect(R"J({"id":"x","name":"x","handler":{"kind":"teleport"}})J", 400, "handler.kind");
    expect(R"J({"id":"x","name":"x","handler":{"kind":"noop"},"schedule":"61 * * * *"})J", 400, "schedule");
    expect(R"J({"id":"x","name":"x","handler":{"kind":"noop"},"timeoutMs":-5})J", 400, "timeoutMs");
    expect(R"J({"id":"x","name":"x","handler":"echo hi"})J", 400, "handler");
    expect("{not json", 400, "invalid");
    expect(std::string(100'000, 'x'), 413, "body_too_large");
    BOOST_TEST(c.call(0, "POST", "/execute/nope").status == 404);
    BOOST_TEST(c.call(0, "GET", "/executions/banana").status == 400);
    BOOST_TEST(c.call(0, "GET", "/executions/ex-999").status == 404);
    BOOST_TEST(c.call(0, "GET", "/operations?limit=0").status == 400);
    post_ok(c, 0, "/operations", R"J({"id":"x","name":"x","handler":{"kind":"noop"}})J");
    BOOST_TEST(c.call(0, "POST", "/operations", R"J({"id":"x","name":"x","handler":{"kind":"noop"}})J").status == 409);
    // Still serving.
    BOOST_TEST(c.call(0, "POST", "/execute/x?wait=true").status == 200);
}
