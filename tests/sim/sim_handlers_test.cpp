// The simulator's handlers: a command's script decides its duration, output and end;
// a timeout kills what runs past it; an unknown program is not found; an HTTP call
// answers with the status its URL names; the same seed gives the same calls.
#include "sim/sim_handlers.hpp"

#include <boost/test/unit_test.hpp>
#include <limits>

using namespace raftor;
using raftor::exec::ProcessResult;
using raftor::sim::SimulatedHandlers;

namespace {

exec::ProcessSpec shell(std::string script, std::uint64_t timeout_ms = 30'000) {
    exec::ProcessSpec p;
    p.argv = {"/bin/sh", "-c", std::move(script)};
    p.timeout_ms = timeout_ms;
    return p;
}

exec::HttpCallSpec call(std::string url, std::uint64_t timeout_ms = 30'000) {
    exec::HttpCallSpec h;
    h.url = std::move(url);
    h.allowed_hosts = {"hooks.sim", "x"};
    h.timeout_ms = timeout_ms;
    return h;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sim_handlers)

BOOST_AUTO_TEST_CASE(a_script_sleeps_echoes_and_exits_with_its_code) {
    SimulatedHandlers h(1);
    const auto c = h.process(shell("echo crunching; sleep 0.7 ;echo done; exit 3; echo never"));
    BOOST_TEST((c.result.end == ProcessResult::End::exited));
    BOOST_TEST(c.result.exit_code == 3);
    BOOST_TEST(c.result.output == "crunching\ndone\n");
    BOOST_TEST(c.result.output_hash == crypto::sha256(std::string("crunching\ndone\n")));
    BOOST_TEST(!c.result.succeeded());
    // 700 ms of sleep plus a start that costs at most 5 ms.
    BOOST_TEST(c.after_ms >= 700u);
    BOOST_TEST(c.after_ms <= 705u);
    BOOST_TEST(c.result.duration_ms == c.after_ms);
}

BOOST_AUTO_TEST_CASE(an_exec_handlers_argv_is_its_script) {
    SimulatedHandlers h(2);
    exec::ProcessSpec p;
    p.argv = {"sleep", "2.5"};
    const auto c = h.process(p);
    BOOST_TEST(c.result.succeeded());
    BOOST_TEST(c.after_ms >= 2500u);
    BOOST_TEST(c.after_ms <= 2505u);
}

BOOST_AUTO_TEST_CASE(an_unknown_program_is_not_found_as_sh_says) {
    SimulatedHandlers h(3);
    const auto c = h.process(shell("echo before; deploy --now; echo after"));
    BOOST_TEST(c.result.exit_code == 127);
    BOOST_TEST(c.result.output == "before\nsh: 1: deploy: not found\n");
    // A sleep whose argument is not a number is not a sleep either.
    BOOST_TEST(h.process(shell("sleep soon")).result.exit_code == 127);
    // Nor is an exit code: sh refuses it with 2.
    const auto bad_exit = h.process(shell("exit now"));
    BOOST_TEST(bad_exit.result.exit_code == 2);
    BOOST_TEST(bad_exit.result.output == "sh: 1: exit: Illegal number: now\n");
    BOOST_TEST(h.process(shell("exit")).result.exit_code == 0);
}

BOOST_AUTO_TEST_CASE(what_runs_past_its_timeout_is_killed_at_the_timeout) {
    SimulatedHandlers h(4);
    const auto hung = h.process(shell("echo started; hang", 1'500));
    BOOST_TEST((hung.result.end == ProcessResult::End::timed_out));
    BOOST_TEST(hung.result.exit_code == 137);
    BOOST_TEST(hung.after_ms == 1'500u);
    BOOST_TEST(hung.result.output == "started\n");

    const auto slow = h.process(shell("sleep 10", 2'000));
    BOOST_TEST((slow.result.end == ProcessResult::End::timed_out));
    BOOST_TEST(slow.after_ms == 2'000u);

    // An HTTP call's latency is up to 40 ms: with a 10 ms timeout, some give up at 10 ms.
    int gave_up = 0;
    for (int i = 0; i < 100; ++i) {
        const auto c = h.http(call("http://hooks.sim/", 10));
        BOOST_TEST(c.after_ms <= 10u);
        if (c.result.end == ProcessResult::End::timed_out) {
            ++gave_up;
            BOOST_TEST(c.after_ms == 10u);
            BOOST_TEST(c.result.exit_code == -1);
        }
    }
    BOOST_TEST(gave_up > 0);
    BOOST_TEST(gave_up < 100);
}

// A sleep or hang beyond any bound neither overflows nor ends within a run.
BOOST_AUTO_TEST_CASE(an_endless_call_ends_after_every_run) {
    SimulatedHandlers h(8);
    const std::uint64_t unbounded = std::numeric_limits<std::uint64_t>::max();
    const auto hung = h.process(shell("hang", unbounded));
    BOOST_TEST(hung.after_ms == 1'000'000'000'000u);
    BOOST_TEST((hung.result.end == ProcessResult::End::exited));
    const auto slept = h.process(shell("sleep 1e300; sleep 1e300", unbounded));
    BOOST_TEST(slept.after_ms == 1'000'000'000'000u);
    BOOST_TEST(h.process(shell("sleep 1e300", 5'000)).after_ms == 5'000u);
}

BOOST_AUTO_TEST_CASE(output_beyond_its_cap_is_truncated_and_hashed_whole) {
    SimulatedHandlers h(5);
    auto p = shell("echo 0123456789");
    p.output_max = 4;
    const auto c = h.process(p);
    BOOST_TEST(c.result.output == "0123");
    BOOST_TEST(c.result.truncated);
    BOOST_TEST(c.result.output_hash == crypto::sha256(std::string("0123456789\n")));
}

BOOST_AUTO_TEST_CASE(an_http_call_answers_with_the_status_its_url_names) {
    SimulatedHandlers h(6);
    const auto failing = h.http(call("http://hooks.sim/status/503"));
    BOOST_TEST((failing.result.end == ProcessResult::End::answered));
    BOOST_TEST(failing.result.exit_code == 503);
    BOOST_TEST(!failing.result.succeeded());
    BOOST_TEST(failing.after_ms <= 40u);

    BOOST_TEST(h.http(call("http://hooks.sim/ping")).result.exit_code == 200);
    BOOST_TEST(h.http(call("http://hooks.sim/status/204")).result.succeeded());
    // Not a status: a plain 200.
    BOOST_TEST(h.http(call("http://hooks.sim/status/9999")).result.exit_code == 200);
    BOOST_TEST(h.http(call("http://hooks.sim/status/50x")).result.exit_code == 200);
}

BOOST_AUTO_TEST_CASE(a_host_the_node_may_not_call_is_refused) {
    SimulatedHandlers h(7);
    const auto refused = h.http(call("http://example.com/status/200"));
    BOOST_TEST((refused.result.end == ProcessResult::End::failed_to_start));
    BOOST_TEST(refused.result.error.find("handler.url: ") == 0u, refused.result.error);
    BOOST_TEST(h.http(call("ftp://hooks.sim/")).result.error.find("handler.url: ") == 0u);
    BOOST_TEST(h.http(call("http://127.0.0.1:9/status/201")).result.exit_code == 201);  // loopback: always
}

BOOST_AUTO_TEST_CASE(the_same_seed_gives_the_same_calls) {
    SimulatedHandlers a(42), b(42), other(43);
    std::vector<std::uint64_t> ta, tb, to;
    for (int i = 0; i < 50; ++i) {
        ta.push_back(a.process(shell("sleep 0.1")).after_ms);
        tb.push_back(b.process(shell("sleep 0.1")).after_ms);
        to.push_back(other.process(shell("sleep 0.1")).after_ms);
        ta.push_back(a.http(call("http://x/")).after_ms);
        tb.push_back(b.http(call("http://x/")).after_ms);
        to.push_back(other.http(call("http://x/")).after_ms);
    }
    BOOST_TEST(ta == tb);
    BOOST_TEST(ta != to);
}

BOOST_AUTO_TEST_SUITE_END()
