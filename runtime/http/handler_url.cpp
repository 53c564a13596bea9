#include "runtime/http/handler_url.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "runtime/common/host_port.hpp"

namespace raftor::http {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

std::optional<HttpUrl> parse_http_url(std::string_view url, std::string& error) {
    const std::string l = lower(url.substr(0, 8));
    HttpUrl u;
    u.tls = l.rfind("https://", 0) == 0;
    if (!u.tls && l.rfind("http://", 0) != 0) return error = "must start with http:// or https://", std::nullopt;
    if (u.tls) u.port = 443;
    std::string_view rest = url.substr(u.tls ? 8 : 7);
    const std::size_t slash = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, slash);
    if (slash != std::string_view::npos) {
        u.target = std::string(rest.substr(slash));
        if (u.target.front() == '?') u.target.insert(u.target.begin(), '/');
    }
    for (char c : url)
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
            return error = "has a space or control character", std::nullopt;
    if (authority.find('@') != std::string_view::npos) return error = "must not carry user:password@", std::nullopt;
    if (authority.empty()) return error = "has no host", std::nullopt;
    const std::size_t bracket = authority.rfind(']');
    if (authority.front() == '[' && bracket == std::string_view::npos)
        return error = "has a bad IPv6 host", std::nullopt;
    // A port when the part after the last ':' (outside brackets) is one.
    const std::size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
        if (!common::split_host_port(authority, u.host, u.port))
            return error = "'" + std::string(authority) + "' is not host:port (port 1 to 65535)", std::nullopt;
    } else if (authority.front() == '[') {
        if (authority.back() != ']' || authority.size() < 3) return error = "has a bad IPv6 host", std::nullopt;
        u.host = std::string(authority.substr(1, authority.size() - 2));
    } else {
        u.host = std::string(authority);
    }
    if (u.host.empty()) return error = "has no host", std::nullopt;
    return u;
}

bool is_loopback_host(std::string_view host) {
    const std::string h = lower(host);
    if (h == "localhost" || h == "::1") return true;
    in_addr a4{};
    if (inet_pton(AF_INET, h.c_str(), &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
    return false;
}

std::string http_host_refused(std::string_view host, const std::vector<std::string>& allowed) {
    if (is_loopback_host(host)) return {};
    const std::string h = lower(host);
    if (std::any_of(allowed.begin(), allowed.end(), [&](const std::string& a) { return lower(a) == h; })) return {};
    return "host '" + std::string(host) + "' is not loopback and not in handlers.httpHosts; only those may be called";
}

}  // namespace raftor::http
