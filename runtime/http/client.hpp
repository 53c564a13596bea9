#pragma once
// A small blocking HTTP/1.1 client (Boost.Beast) for `raftor ctl`, tests and benches.
#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace raftor::http {

struct ClientRequest {
    std::string method = "GET";
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;
    std::string target = "/";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::chrono::milliseconds timeout{5000};
    std::uint64_t body_max = std::uint64_t{256} << 20;  // a longer answer is an error
};

struct ClientResult {
    std::string error;  // empty when a response came back (whatever its status)
    int status = 0;
    std::string body;
    std::map<std::string, std::string> headers;  // names in lower case
    bool ok() const { return error.empty(); }
};

ClientResult call(const ClientRequest& req);

}  // namespace raftor::http
