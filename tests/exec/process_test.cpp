#define BOOST_TEST_MODULE exec
// Handler processes: argv run directly, stdin fed, output capped and hashed in full,
// exit codes and signals reported, the group killed on timeout or cancel, and a
// failure to start named.
#include "runtime/exec/process.hpp"

#include <signal.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace raftor;
using exec::ProcessResult;
using exec::ProcessSpec;
using namespace std::chrono_literals;

namespace {

ProcessResult run(ProcessSpec s) {
    std::atomic<bool> cancel{false};
    return exec::run_process(s, cancel);
}

ProcessSpec sh(const std::string& script) {
    ProcessSpec s;
    s.argv = {"/bin/sh", "-c", script};
    s.timeout_ms = 10'000;
    return s;
}

bool alive(int pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string p, comm, state;
    if (!(stat >> p >> comm >> state)) return false;
    return state != "Z";
}

}  // namespace

BOOST_AUTO_TEST_CASE(output_exit_code_input_and_environment) {
    auto s = sh("echo out; echo err >&2; cat; echo \"A=$A\"; exit 3");
    s.input = "from stdin\n";
    s.env = {{"A", "1"}};
    const auto r = run(s);
    BOOST_TEST((r.end == ProcessResult::End::exited));
    BOOST_TEST(r.exit_code == 3);
    BOOST_TEST(r.output == "out\nerr\nfrom stdin\nA=1\n");
    BOOST_TEST((r.output_hash == crypto::sha256(r.output)));
    BOOST_TEST(!r.succeeded());
    // Only the environment given (and PATH): nothing of the node's leaks in.
    ::setenv("RAFTOR_NODE_SECRET", "leaked", 1);
    auto e = run(sh("env"));
    BOOST_TEST(e.output.find("PATH=/usr/local/bin:/usr/bin:/bin\n") != std::string::npos, e.output);
    BOOST_TEST(e.output.find("RAFTOR_NODE_SECRET") == std::string::npos, e.output);
    BOOST_TEST(e.succeeded());
}

BOOST_AUTO_TEST_CASE(output_is_capped_and_hashed_in_full) {
    auto s = sh("head -c 100000 /dev/zero");
    s.output_max = 1000;
    const auto r = run(s);
    BOOST_TEST(r.output.size() == 1000u);
    BOOST_TEST(r.truncated);
    BOOST_TEST((r.output_hash == crypto::sha256(std::string(100000, '\0'))));
}

BOOST_AUTO_TEST_CASE(a_timeout_kills_the_whole_group) {
    const auto pidfile = std::filesystem::temp_directory_path() / ("raftor-exec-" + std::to_string(::getpid()));
    auto s = sh("sleep 30 & echo $! > " + pidfile.string() + "; wait");
    s.timeout_ms = 300;
    const auto begin = std::chrono::steady_clock::now();
    const auto r = run(s);
    BOOST_TEST((r.end == ProcessResult::End::timed_out));
    BOOST_TEST(r.exit_code == 128 + SIGKILL);
    BOOST_TEST((std::chrono::steady_clock::now() - begin < 5s));
    int bg = 0;
    std::ifstream(pidfile) >> bg;
    std::filesystem::remove(pidfile);
    BOOST_REQUIRE(bg > 0);
    std::this_thread::sleep_for(100ms);
    BOOST_TEST(!alive(bg), "the handler's background child outlived the timeout");
}

BOOST_AUTO_TEST_CASE(a_cancel_kills_it_and_signals_are_not_blocked) {
    std::atomic<bool> cancel{false};
    std::thread t([&] {
        std::this_thread::sleep_for(200ms);
        cancel = true;
    });
    const auto r = exec::run_process(sh("sleep 30"), cancel);
    t.join();
    BOOST_TEST((r.end == ProcessResult::End::cancelled));
    // The node blocks signals for its sigwait thread; the handler starts with none blocked.
    const auto k = run(sh("kill -TERM $$; sleep 5"));
    BOOST_TEST((k.end == ProcessResult::End::signalled));
    BOOST_TEST(k.exit_code == 128 + SIGTERM);
}

BOOST_AUTO_TEST_CASE(failures_to_start_are_named) {
    ProcessSpec s;
    s.argv = {"no-such-program-raftor"};
    auto r = run(s);
    BOOST_TEST((r.end == ProcessResult::End::failed_to_start));
    BOOST_TEST(r.error.find("'no-such-program-raftor' is not an executable in PATH") != std::string::npos, r.error);
    s = sh("true");
    s.cwd = "/no/such/dir";
    r = run(s);
    BOOST_TEST((r.end == ProcessResult::End::failed_to_start));
    BOOST_TEST(r.error.find("in '/no/such/dir'") != std::string::npos, r.error);
    s.argv = {"/etc/passwd"};
    s.cwd.clear();
    r = run(s);
    BOOST_TEST((r.end == ProcessResult::End::failed_to_start));
    BOOST_TEST(r.error.find("Permission denied") != std::string::npos, r.error);
    s.argv.clear();
    BOOST_TEST(run(s).error == "argv is empty");
}

BOOST_AUTO_TEST_CASE(the_configured_user_is_resolved_or_named) {
    std::string error;
    BOOST_TEST(!exec::resolve_run_as("", error).has_value());
    BOOST_TEST(error.empty());
    BOOST_TEST(!exec::resolve_run_as("no-such-user-here", error).has_value());
    BOOST_TEST(error == "no user 'no-such-user-here' on this machine");
    // The node's own user: nothing to switch.
    BOOST_TEST(!exec::resolve_run_as(std::to_string(::geteuid()), error).has_value());
    BOOST_TEST(error.empty(), error);
    auto nobody = exec::resolve_run_as("nobody", error);
    if (::geteuid() == 0) {
        BOOST_REQUIRE(nobody.has_value());
        BOOST_TEST(nobody->user == "nobody");
    } else {
        BOOST_TEST(!nobody.has_value());
        BOOST_TEST(error.find("needs the node to run as root") != std::string::npos, error);
    }
}

BOOST_AUTO_TEST_CASE(a_handler_runs_as_the_configured_user_with_its_environment_and_its_timeout) {
    std::string error;
    auto nobody = exec::resolve_run_as("nobody", error);
    if (!nobody) {
        BOOST_TEST_MESSAGE("SKIPPED: running handlers as another user needs root: " << error);
        return;
    }
    ProcessSpec s = sh("echo $(id -u):$(id -g) $GREETING; cat");
    s.run_as = nobody;
    s.env = {{"GREETING", "hello"}};
    s.input = "in";
    auto r = run(s);
    BOOST_TEST((r.end == ProcessResult::End::exited));
    BOOST_TEST(r.exit_code == 0);
    BOOST_TEST(r.output == std::to_string(nobody->uid) + ":" + std::to_string(nobody->gid) + " hello\nin", r.output);
    // The group is still killed on timeout, across the user change.
    const auto pidfile = std::filesystem::temp_directory_path() / ("raftor-run-as-" + std::to_string(::getpid()));
    std::filesystem::remove(pidfile);
    { std::ofstream touch(pidfile); }
    ::chown(pidfile.c_str(), nobody->uid, nobody->gid);
    s = sh("sleep 30 & echo $! > " + pidfile.string() + "; wait");
    s.run_as = nobody;
    s.timeout_ms = 300;
    r = run(s);
    BOOST_TEST((r.end == ProcessResult::End::timed_out));
    std::ifstream pf(pidfile);
    int bg = 0;
    pf >> bg;
    std::filesystem::remove(pidfile);
    BOOST_REQUIRE(bg > 0);
    std::this_thread::sleep_for(100ms);
    BOOST_TEST(!alive(bg), "the handler's child outlived its timeout");
}
