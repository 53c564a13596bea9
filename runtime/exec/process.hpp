#pragma once
// Runs one handler process to its end: argv executed directly (no shell unless argv
// says so), in its own process group (and PID namespace, when the sandbox has one),
// with exactly the environment given, stdin from the execution's input, stdout and
// stderr together, capped, and no other descriptor of the node's. A timeout or a
// cancel kills the whole group, and with it the namespace, so nothing the handler
// started outlives it. Whatever runs before the handler's own program (unshare,
// setpriv) gets a clean environment: the operation's (LD_PRELOAD, say) reaches only
// the handler, after any drop to handlers.user. Blocking: the executor calls it from a
// thread of its own.
#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/crypto/sha256.hpp"
#include "runtime/exec/run_as.hpp"
#include "runtime/exec/sandbox.hpp"

namespace raftor::exec {

struct ProcessSpec {
    std::vector<std::string> argv;  // argv[0] is looked up in PATH when it has no '/'
    std::map<std::string, std::string> env;
    std::string cwd;  // empty: the node's
    std::string input;
    std::uint64_t timeout_ms = 30'000;
    std::size_t output_max = 64 * 1024;
    std::optional<RunAs> run_as;  // another user to run it as (handlers.user)
    Sandbox sandbox;              // PID namespace, scratch directory, allowed programs
};

struct ProcessResult {
    // answered: an http handler's response came back (exit_code is its HTTP status).
    enum class End : std::uint8_t {
        exited,
        signalled,
        timed_out,
        cancelled,
        failed_to_start,
        answered
    } end = End::exited;
    int exit_code = 0;   // exited: its status; signalled: 128 + signal; answered: the HTTP status
    std::string output;  // the first output_max bytes
    bool truncated = false;
    crypto::Digest output_hash{};  // of all of the output
    std::uint64_t duration_ms = 0;
    std::string error;  // failed_to_start: why

    bool succeeded() const {
        return (end == End::exited && exit_code == 0) || (end == End::answered && exit_code >= 200 && exit_code < 300);
    }
};

ProcessResult run_process(const ProcessSpec& spec, const std::atomic<bool>& cancel);

}  // namespace raftor::exec
