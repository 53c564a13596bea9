#include "runtime/exec/http_call.hpp"

#include <chrono>

#include "runtime/http/client.hpp"
#include "runtime/http/handler_url.hpp"

namespace raftor::exec {

namespace {
// A body longer than this fails the execution rather than filling the node's memory.
constexpr std::uint64_t response_max = std::uint64_t{16} << 20;
}  // namespace

ProcessResult run_http_call(const HttpCallSpec& spec) {
    ProcessResult r;
    auto failed = [&](std::string why) {
        r.end = ProcessResult::End::failed_to_start;
        r.exit_code = -1;
        r.error = std::move(why);
        return r;
    };
    std::string error;
    auto url = http::parse_http_url(spec.url, error);
    if (!url) return failed("handler.url: " + error);
    if (auto refused = http::http_host_refused(url->host, spec.allowed_hosts); !refused.empty())
        return failed("handler.url: " + refused);
    http::ClientRequest req;
    req.tls = url->tls;
    req.ca_file = spec.ca_file;
    req.method = spec.method;
    req.host = url->host;
    req.port = url->port;
    req.target = url->target;
    req.body = spec.body;
    req.timeout = std::chrono::milliseconds(spec.timeout_ms);
    req.body_max = response_max;
    for (const auto& h : spec.headers) req.headers.push_back(h);
    const auto begin = std::chrono::steady_clock::now();
    http::ClientResult answer = http::call(req);
    r.duration_ms = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - begin).count());
    if (!answer.ok()) {
        if (answer.error.find("timed out") != std::string::npos) {
            r.end = ProcessResult::End::timed_out;
            r.exit_code = -1;
            r.output = answer.error;
            r.output_hash = crypto::sha256(r.output);
            return r;
        }
        return failed(spec.method + " " + spec.url + ": " + answer.error);
    }
    r.end = ProcessResult::End::answered;
    r.exit_code = answer.status;
    r.output_hash = crypto::sha256(answer.body);
    r.truncated = answer.body.size() > spec.output_max;
    if (r.truncated) answer.body.resize(spec.output_max);
    r.output = std::move(answer.body);
    return r;
}

}  // namespace raftor::exec
