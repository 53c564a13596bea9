// Handlers are isolated: they see only descriptors 0-2, anything they start (setsid,
// double-forked) dies with them or at their timeout, the operation's LD_* variables
// never reach a root process, they work in a scratch directory of their own, and only
// the allowed programs run.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "runtime/exec/process.hpp"
#include "tests/common/proc_file.hpp"

using namespace raftor;
using exec::ProcessResult;
using exec::ProcessSpec;
using namespace std::chrono_literals;

namespace {

ProcessResult run(const ProcessSpec& s) {
    std::atomic<bool> cancel{false};
    return exec::run_process(s, cancel);
}

// A sleep no other process on the machine runs: found by its argument in /proc.
std::string marker() {
    static std::mt19937_64 rng{std::random_device{}()};
    return "3" + std::to_string(rng() % 1000000) + ".5";
}

bool running_with_arg(const std::string& arg) {
    for (const auto& e : std::filesystem::directory_iterator("/proc")) {
        const std::string name = e.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        const std::string cmd = testing::read_proc_file((e.path() / "cmdline").string());
        const std::string stat = testing::read_proc_file((e.path() / "stat").string());
        const auto close = stat.rfind(')');
        if (close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z') continue;
        if (cmd.find(std::string(1, '\0') + arg) != std::string::npos) return true;
    }
    return false;
}

bool gone_soon(const std::string& arg) {
    for (int i = 0; i < 40; ++i) {
        if (!running_with_arg(arg)) return true;
        std::this_thread::sleep_for(50ms);
    }
    return false;
}

exec::Sandbox contained() {
    exec::Sandbox s;
    std::string why;
    s.contain = exec::probe_containment(why);
    if (s.contain.empty()) BOOST_TEST_MESSAGE("no PID namespace here: " << why);
    return s;
}

ProcessSpec sh(const std::string& script, exec::Sandbox sandbox = {}) {
    ProcessSpec s;
    s.argv = {"/bin/sh", "-c", script};
    s.timeout_ms = 10'000;
    s.sandbox = std::move(sandbox);
    return s;
}

struct TempDir {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("raftor-isolation-" + std::to_string(::getpid()) + "-" + marker());
    TempDir() { std::filesystem::create_directories(path); }
    ~TempDir() { std::filesystem::remove_all(path); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(isolation)

BOOST_AUTO_TEST_CASE(a_handler_sees_only_descriptors_0_to_2) {
    TempDir dir;
    // Descriptors the node holds without close-on-exec: a file and a socket.
    const auto probe = dir.path / "leak-probe";
    const int file = ::open(probe.c_str(), O_CREAT | O_RDWR, 0600);
    const int sock = ::socket(AF_INET, SOCK_STREAM, 0);
    BOOST_REQUIRE(file >= 0 && sock >= 0);
    for (const auto& sandbox : {exec::Sandbox{}, contained()}) {
        // ls itself opens the directory it lists: 0, 1, 2 and that one.
        const auto r = run(sh("ls -l /proc/self/fd", sandbox));
        BOOST_TEST(r.exit_code == 0, r.output);
        BOOST_TEST(r.output.find("socket:") == std::string::npos, r.output);
        BOOST_TEST(r.output.find("leak-probe") == std::string::npos, r.output);
        const auto n = std::count(r.output.begin(), r.output.end(), '\n');
        BOOST_TEST(n <= 5, r.output);  // "total 0" and four entries
    }
    ::close(file);
    ::close(sock);
}

BOOST_AUTO_TEST_CASE(a_setsid_or_double_forked_child_is_killed_at_the_timeout) {
    const auto sandbox = contained();
    if (sandbox.contain.empty()) return;
    const std::string a = marker(), b = marker();
    auto s = sh("setsid sleep " + a + " & (setsid sh -c 'sleep " + b + "' &); sleep 30", sandbox);
    s.timeout_ms = 500;
    std::thread watch([&] {
        std::this_thread::sleep_for(300ms);
        BOOST_TEST(running_with_arg(a));  // they did start
    });
    const auto r = run(s);
    watch.join();
    BOOST_TEST((r.end == ProcessResult::End::timed_out));
    BOOST_TEST(gone_soon(a), "a setsid child outlived its handler's timeout");
    BOOST_TEST(gone_soon(b), "a double-forked child outlived its handler's timeout");
}

BOOST_AUTO_TEST_CASE(nothing_a_handler_starts_outlives_its_end) {
    const auto sandbox = contained();
    if (sandbox.contain.empty()) return;
    const std::string a = marker();
    // It leaves a daemon behind (stdout closed, so the node does not wait for it) and exits 0.
    const auto r = run(sh("setsid sleep " + a + " >/dev/null 2>&1 & echo started", sandbox));
    BOOST_TEST((r.end == ProcessResult::End::exited));
    BOOST_TEST(r.exit_code == 0);
    BOOST_TEST(r.output == "started\n");
    BOOST_TEST(gone_soon(a), "a handler's daemon outlived it");
}

BOOST_AUTO_TEST_CASE(the_exit_status_and_signals_come_through_the_namespace) {
    const auto sandbox = contained();
    BOOST_TEST(run(sh("exit 7", sandbox)).exit_code == 7);
    // The handler is not the namespace's PID 1: its own SIGTERM ends it, as 128+15.
    const auto k = run(sh("kill -TERM $$; sleep 5", sandbox));
    BOOST_TEST(k.exit_code == 128 + SIGTERM);
    BOOST_TEST(!k.succeeded());
    BOOST_TEST(k.duration_ms < 4000u);
}

BOOST_AUTO_TEST_CASE(ld_preload_of_an_operation_never_runs_as_root) {
    std::string error;
    auto nobody = exec::resolve_run_as("nobody", error);
    if (!nobody) {
        BOOST_TEST_MESSAGE("SKIPPED: needs root to run handlers as another user: " << error);
        return;
    }
    TempDir dir;
    std::filesystem::permissions(dir.path, std::filesystem::perms::all);
    const auto out = dir.path / "probe.out";
    for (const auto& sandbox : {exec::Sandbox{}, contained()}) {
        std::filesystem::remove(out);
        auto s = sh("id -u", sandbox);
        s.run_as = nobody;
        s.env = {{"LD_PRELOAD", RAFTOR_PRELOAD_PROBE}, {"RAFTOR_PROBE_OUT", out.string()}};
        const auto r = run(s);
        BOOST_TEST(r.exit_code == 0, r.output);
        std::ifstream in(out);
        std::stringstream lines;
        lines << in.rdbuf();
        // The handler's own processes load it, as nobody; no root process does.
        BOOST_TEST(lines.str().find("uid=" + std::to_string(nobody->uid)) != std::string::npos, lines.str());
        BOOST_TEST(lines.str().find("uid=0 ") == std::string::npos, lines.str());
        BOOST_TEST(lines.str().find("euid=0 ") == std::string::npos, lines.str());
    }
}

BOOST_AUTO_TEST_CASE(a_handler_works_in_a_scratch_directory_of_its_own) {
    TempDir dir;
    exec::Sandbox sandbox = contained();
    sandbox.scratch_root = dir.path.string();
    const auto r = run(sh("pwd; touch left-behind", sandbox));
    BOOST_TEST(r.exit_code == 0, r.output);
    BOOST_TEST(r.output.rfind(dir.path.string() + "/ex-", 0) == 0u, r.output);
    BOOST_TEST(std::filesystem::is_empty(dir.path), "the scratch directory was not removed");
    // An operation's own cwd still wins.
    auto s = sh("pwd", sandbox);
    s.cwd = "/";
    BOOST_TEST(run(s).output == "/\n");
}

BOOST_AUTO_TEST_CASE(only_allowed_programs_run) {
    exec::Sandbox sandbox;
    sandbox.allowed_programs = {"/usr/bin/env", "/opt/raftor-ops/*"};
    auto r = run(sh("echo no", sandbox));
    BOOST_TEST((r.end == ProcessResult::End::failed_to_start));
    BOOST_TEST(r.error == "'/bin/sh' is not in handlers.allowedPrograms", r.error);
    ProcessSpec e;
    e.argv = {"env"};
    e.sandbox = sandbox;
    e.env = {{"A", "1"}};
    r = run(e);
    BOOST_TEST(r.exit_code == 0, r.error);
    // Globs stay within a directory, and '..' is never a way around them.
    BOOST_TEST(exec::program_refused("/opt/raftor-ops/sub/x", sandbox.allowed_programs).has_value());
    BOOST_TEST(exec::program_refused("/opt/raftor-ops/../../bin/sh", sandbox.allowed_programs).has_value());
    BOOST_TEST(!exec::program_refused("/opt/raftor-ops/restart", sandbox.allowed_programs).has_value());
    // A link is allowed by the name it is called by or by what it resolves to.
    BOOST_TEST(!exec::program_refused("/bin/sh", {"/usr/bin/dash"}).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
