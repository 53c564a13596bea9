// The real node actors in one deterministic actor system: they elect, survive a
// crashed leader, and replay exactly from a seed.
#include "sim/actor_cluster.hpp"

#include <algorithm>
#include <boost/test/unit_test.hpp>

using namespace raftor;
using namespace raftor::sim;

namespace {

struct Run {
    std::uint64_t hash = 0;
    raft::NodeId first_leader = 0;
    raft::NodeId second_leader = 0;
    std::uint64_t jobs = 0;
    std::vector<std::string> violations;
};

Run elect_crash_restart(std::uint64_t seed, std::vector<std::string>* trace = nullptr) {
    ClusterOptions opts{.nodes = 3, .seed = seed};
    if (trace) opts.trace = [trace](const std::string& line) { trace->push_back(line); };
    ActorCluster c(opts);
    Run r;
    BOOST_REQUIRE(c.run_until([&] { return c.leader() != 0; }, 10'000'000));
    r.first_leader = c.leader();
    c.run_for(1'000'000);
    c.crash(r.first_leader);
    BOOST_REQUIRE(c.run_until([&] { return c.leader() != 0 && c.leader() != r.first_leader; }, 10'000'000));
    r.second_leader = c.leader();
    c.restart(r.first_leader);
    c.run_for(2'000'000);
    BOOST_TEST(c.view(r.first_leader).leader == r.second_leader);  // it rejoined as a follower
    r.hash = c.trace_hash();
    r.jobs = c.jobs_run();
    r.violations = c.invariants().violations();
    return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(actor_cluster)

BOOST_AUTO_TEST_CASE(elects_replaces_a_crashed_leader_and_replays_from_its_seed) {
    const Run a = elect_crash_restart(42);
    BOOST_TEST(a.violations.empty());
    BOOST_TEST(a.second_leader != a.first_leader);
    BOOST_TEST_MESSAGE("seed 42: " << a.jobs << " actor jobs, trace hash " << a.hash);
    const Run b = elect_crash_restart(42);
    BOOST_TEST(b.hash == a.hash);
    BOOST_TEST(b.jobs == a.jobs);
    const Run c = elect_crash_restart(43);
    BOOST_TEST(c.hash != a.hash);
    // Writing the trace changes nothing in the run.
    std::vector<std::string> trace;
    const Run d = elect_crash_restart(42, &trace);
    BOOST_TEST(d.hash == a.hash);
    auto has = [&](const std::string& what) {
        return std::any_of(trace.begin(), trace.end(), [&](const auto& l) { return l.find(what) != l.npos; });
    };
    BOOST_TEST(has(" deliver "));
    BOOST_TEST(has(" crash node " + std::to_string(a.first_leader)));
    BOOST_TEST(has(" leader term "));
}

// Every actor `raftor node` runs is in the simulation, assembled the same way: the
// introspector knows them all, the gateway answers HTTP, and the supervisor's
// self-check finds a full simulated disk and says so on /health.
BOOST_AUTO_TEST_CASE(every_actor_of_a_node_runs_and_its_gateway_answers) {
    ActorCluster c(ClusterOptions{.nodes = 3, .seed = 7, .operations = true});
    BOOST_REQUIRE(c.run_until([&] { return c.leader() != 0; }, 10'000'000));
    const auto actors = c.http(1, "GET", "/debug/actors");
    BOOST_REQUIRE(actors.has_value());
    BOOST_TEST(actors->status == 200);
    for (const char* name : {"raft_peer", "storage", "state_machine", "election_timer", "executor", "scheduler",
                             "receipt_signer", "http_gateway", "supervisor", "introspector", "transport"})
        BOOST_TEST(actors->body.find(std::string("\"") + name + "\"") != std::string::npos, name);
    const auto put = c.http(c.leader(), "PUT", "/kv/a", "1");
    BOOST_REQUIRE(put.has_value());
    BOOST_TEST(put->status == 200, put->body);
    const auto health = c.http(2, "GET", "/health");
    BOOST_REQUIRE(health.has_value());
    BOOST_TEST(health->status == 200, health->body);

    c.disk(2).set_faults(DiskFaults{.capacity_bytes = c.disk(2).used()});
    c.run_for(32'000'000);  // a self-check every 30 s
    const auto full = c.http(2, "GET", "/health");
    BOOST_REQUIRE(full.has_value());
    BOOST_TEST(full->status == 503, full->body);
    BOOST_TEST(full->body.find("No space left on device") != std::string::npos, full->body);
    BOOST_TEST(c.invariants().ok());
}

// A write the cluster cannot make durable within the gateway's deadline (10 s) is
// answered by the deadline, as an outcome unknown: it may still apply, and here it
// does. When the peer answers it later, the client is not answered a second time.
BOOST_AUTO_TEST_CASE(a_write_past_its_deadline_is_answered_once_as_outcome_unknown) {
    ActorCluster c(ClusterOptions{.nodes = 3, .seed = 7});
    BOOST_REQUIRE(c.run_until([&] { return c.leader() != 0; }, 10'000'000));
    const raft::NodeId l = c.leader();
    const auto first = c.http(l, "PUT", "/kv/a", "1");
    BOOST_REQUIRE(first.has_value());
    BOOST_TEST(first->status == 200, first->body);
    for (raft::NodeId id = 1; id <= 3; ++id) c.set_disk_delay(id, 120'000'000);  // a sync takes up to 2 min
    const auto slow = c.http(l, "PUT", "/kv/b", "2", 12'000'000);
    BOOST_REQUIRE(slow.has_value());
    BOOST_TEST(slow->status == 503, slow->body);
    BOOST_TEST(slow->body.find("\"outcome_unknown\"") != std::string::npos, slow->body);
    BOOST_TEST(slow->body.find("did not complete within 10000 ms") != std::string::npos, slow->body);
    // The disks catch up: the write applies, and its late answer goes nowhere.
    c.run_for(300'000'000);
    for (raft::NodeId id = 1; id <= 3; ++id) c.set_disk_delay(id, 5'000);
    BOOST_REQUIRE(c.run_until([&] { return c.leader() != 0; }, 10'000'000));
    const auto read = c.http(c.leader(), "GET", "/kv/b");
    BOOST_REQUIRE(read.has_value());
    BOOST_TEST(read->status == 200, read->body);
    BOOST_TEST(c.answered_twice() == 0u);
    BOOST_TEST(c.invariants().ok());
}

// Registers `operation` (JSON) on node `l` and runs it once, waiting for its end: the
// execution as the gateway answers it.
static std::string run_once(ActorCluster& c, raft::NodeId l, const std::string& id, const std::string& operation) {
    const auto made = c.http(l, "POST", "/operations", operation);
    BOOST_REQUIRE(made.has_value());
    BOOST_TEST(made->status == 201, made->body);
    const auto ran = c.http(l, "POST", "/execute/" + id + "?wait=true", "", 20'000'000);
    BOOST_REQUIRE(ran.has_value());
    BOOST_TEST(ran->status == 200, ran->body);
    return ran->body;
}

// A process handler registered through the gateway runs through the executor's process
// runner, which the simulation injects: its output, exit code and duration come back
// into the execution, and a hang is killed at the operation's timeout.
BOOST_AUTO_TEST_CASE(process_handlers_run_on_the_simulated_clock) {
    ActorCluster c(ClusterOptions{.nodes = 3, .seed = 11, .operations = true});
    BOOST_REQUIRE(c.run_until([&] { return c.leader() != 0; }, 10'000'000));
    const auto l = c.leader();
    const std::string ran = run_once(
        c, l, "fails",
        R"J({"id":"fails","name":"fails","handler":{"kind":"exec","argv":["/bin/sh","-c","echo hi; sleep 0.4; exit 4"]}})J");
    BOOST_TEST(ran.find("\"status\":\"failed\"") != std::string::npos, ran);
    BOOST_TEST(ran.find("\"exitCode\":4") != std::string::npos, ran);
    BOOST_TEST(ran.find("\"output\":\"hi\\n\"") != std::string::npos, ran);

    const std::string killed = run_once(
        c, l, "hangs",
        R"J({"id":"hangs","name":"hangs","timeoutMs":700,"handler":{"kind":"exec","argv":["/bin/sh","-c","hang"]}})J");
    BOOST_TEST(killed.find("\"status\":\"timeout\"") != std::string::npos, killed);
    BOOST_TEST(c.invariants().ok());
}

BOOST_AUTO_TEST_SUITE_END()
