#pragma once
// `raftor ctl`: the operator's client over the HTTP API. Tries each endpoint in turn
// until one answers; prints what came back; exit code 0 only on success.
#include <optional>
#include <string>
#include <vector>

namespace raftor::http {

struct CtlArgs {
    std::vector<std::string> endpoints;  // "host:port" or "http://host:port"
    std::string token;
    std::string command;  // status | leader | kv-get | kv-put | kv-del | receipts-verify | receipts-dump
    std::string key, value;
    std::optional<std::uint64_t> prev_revision;
    bool stale = false;
    int timeout_ms = 5000;
    std::string file;  // receipts verify --file: a dump to check instead of the cluster
    std::string out;   // receipts dump --out
};

int run_ctl(const CtlArgs& args);

// Internals shared by the ctl commands' files.
struct ClientResult;
// One request to the first endpoint that answers (whatever its status); `used` names it.
ClientResult ctl_ask(const CtlArgs& a, const std::string& method, const std::string& target, const std::string& body,
                     std::string& used);
// Prints why a request failed; returns the exit code for it.
int ctl_report_error(const ClientResult& r);
// `raftor ctl receipts verify|dump`: exit 0 when the chain verifies (or was written), 1
// when it does not verify, 2 when it could not be read.
int run_ctl_receipts(const CtlArgs& args);

}  // namespace raftor::http
