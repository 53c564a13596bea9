#pragma once
// HTTP requests and responses as plain values: what the Beast server hands to the
// node and what the node hands back. No Beast, no Asio, no CAF here.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace raftor::http {

struct Request {
    std::string method;                          // "GET", "PUT", ...
    std::string target;                          // path and query, as received
    std::map<std::string, std::string> headers;  // names in lower case
    std::string body;
    std::string remote;            // the client's address, for logs
    std::int64_t received_ns = 0;  // steady clock, when the server read it (write stage metrics)

    const std::string* header(const std::string& lower_name) const {
        auto it = headers.find(lower_name);
        return it == headers.end() ? nullptr : &it->second;
    }
};

struct Response {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    // When set, the server does not answer itself: it forwards the request to this
    // "host:port" (the leader's gateway) and answers with what comes back.
    std::string proxy_to;
    std::string proxy_name;    // who that is, for errors ("" : the leader)
    std::string proxy_member;  // the member that must answer there (its certificate names it, with TLS)
};

// The header a forwarding gateway adds, so a request is forwarded at most once.
inline constexpr const char* forwarded_header = "x-raftor-forwarded-by";
// ... and the address of the client it forwards for (kept only when the request comes
// from a member's address; the node removes it from anyone else's).
inline constexpr const char* client_address_header = "x-raftor-client-address";

}  // namespace raftor::http
