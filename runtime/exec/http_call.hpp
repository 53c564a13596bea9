#pragma once
// Runs one http handler: a single request to a loopback or configured host, with the
// operation's timeout; the answer's body is the output (capped, hashed in full). Over
// https the server's certificate must chain to the CA given (or the system's) and name
// the URL's host.
// Blocking: the executor calls it from a thread of its own.
#include <map>
#include <string>
#include <vector>

#include "runtime/exec/process.hpp"

namespace raftor::exec {

struct HttpCallSpec {
    std::string method = "POST";
    std::string url;
    std::map<std::string, std::string> headers;
    std::string body;  // sent as it is
    std::uint64_t timeout_ms = 30'000;
    std::size_t output_max = 64 * 1024;
    std::vector<std::string> allowed_hosts;  // besides loopback
    std::string ca_file;                     // https: the CA to verify servers with (the system's when empty)
};

// end: answered (exit_code = HTTP status), timed_out, or failed_to_start (error says why:
// a refused host, a bad URL, no connection).
ProcessResult run_http_call(const HttpCallSpec& spec);

}  // namespace raftor::exec
