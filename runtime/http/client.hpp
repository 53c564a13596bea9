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
    // HTTPS: the server's certificate must chain to `ca_file` (the system's roots when
    // empty) and name `expect_member` (a member's name, as peers check each other) or,
    // without one, `host`. `insecure` checks nothing (a first look at a test cluster).
    bool tls = false;
    std::string ca_file;
    std::string expect_member;
    bool insecure = false;
    // A client certificate, for a server that asks for one (tls.requestCert).
    std::string cert_file, key_file;
};

struct ClientResult {
    std::string error;  // empty when a response came back (whatever its status)
    int status = 0;
    std::string body;
    std::map<std::string, std::string> headers;  // names in lower case
    bool ok() const { return error.empty(); }
};

ClientResult call(const ClientRequest& req);

// "https://host:port" -> tls; "http://host:port" or "host:port" -> plain. False when
// what remains is not host:port.
bool parse_endpoint(const std::string& url, ClientRequest& req);

// How the tools (ctl, console) reach a node: a token for its scope and, for https://
// endpoints, the CA that signed the nodes' certificates.
struct ClientAccess {
    std::string token;
    std::string ca_file;
    bool insecure = false;
    std::string cert_file, key_file;
    void apply(ClientRequest& req) const {
        if (!token.empty()) req.headers.emplace_back("Authorization", "Bearer " + token);
        req.ca_file = ca_file;
        req.insecure = insecure;
        req.cert_file = cert_file;
        req.key_file = key_file;
    }
};

}  // namespace raftor::http
