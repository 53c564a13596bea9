#pragma once
// The URL of an http handler: parsed once, and checked against the hosts a node may
// call (loopback always; others only when the config names them), so a registered
// operation cannot make the cluster call anywhere on the network.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace raftor::http {

struct HttpUrl {
    bool tls = false;          // https://: the server's certificate is verified
    std::string host;          // an IPv6 host without its brackets
    std::uint16_t port = 80;   // 443 for https without one
    std::string target = "/";  // path and query
};

// "http[s]://host[:port][/path][?query]"; the error says what is wrong.
std::optional<HttpUrl> parse_http_url(std::string_view url, std::string& error);

bool is_loopback_host(std::string_view host);

// Empty when the node may call `host`; otherwise why not.
std::string http_host_refused(std::string_view host, const std::vector<std::string>& allowed);

}  // namespace raftor::http
