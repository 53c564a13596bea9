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
    std::string command;  // status | leader | kv-get | kv-put | kv-del
    std::string key, value;
    std::optional<std::uint64_t> prev_revision;
    bool stale = false;
    int timeout_ms = 5000;
};

int run_ctl(const CtlArgs& args);

}  // namespace raftor::http
