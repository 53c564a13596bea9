#include "runtime/http/access.hpp"

#include <openssl/crypto.h>

#include <algorithm>

#include "runtime/http/errors.hpp"

namespace raftor::http {

const char* to_string(Scope s) {
    switch (s) {
        case Scope::open: return "open";
        case Scope::read: return "read";
        case Scope::admin: return "admin";
    }
    return "?";
}

namespace {

bool starts_with(const std::string& s, const char* prefix) {
    return s.rfind(prefix, 0) == 0;
}

bool same_token(const std::string& given, const std::string& expected) {
    // Constant time: the comparison must not tell how much of the token was right.
    return !expected.empty() && given.size() == expected.size() &&
           CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0;
}

// JSON routes: their bodies are JSON documents (the KV routes take raw values).
bool json_route(const std::string& path) {
    return !starts_with(path, "/kv/");
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

}  // namespace

Scope scope_of(const Request& req) {
    const std::string path = req.target.substr(0, req.target.find('?'));
    const bool get = req.method == "GET" || req.method == "HEAD";
    // Probes, metrics and the console page are open whatever the method (any other
    // method is answered 405 by the router).
    if (path == "/health" || starts_with(path, "/health/") || path == "/metrics" || starts_with(path, "/metrics/") ||
        path == "/console" || path == "/console/")
        return Scope::open;
    if (starts_with(path, "/admin/") || path == "/admin" || path == "/shutdown") return Scope::admin;
    return get ? Scope::read : Scope::admin;
}

std::string client_address(const std::string& remote) {
    std::string addr = remote;
    if (auto colon = addr.rfind(':'); colon != std::string::npos && addr.find(':') == colon) {
        addr.resize(colon);  // IPv4 "a.b.c.d:port"
    } else if (!addr.empty() && addr.front() == '[') {
        addr = addr.substr(1, addr.find(']') - 1);  // "[v6]:port"
    } else if (colon != std::string::npos) {
        addr.resize(colon);  // "v6:port", as the server writes it
    }
    if (addr.rfind("::ffff:", 0) == 0) addr = addr.substr(7);
    return addr;
}

bool loopback_remote(const std::string& remote) {
    const std::string addr = client_address(remote);
    return addr == "::1" || starts_with(addr, "127.");
}

std::optional<Response> authorize(const Request& req, const AccessOptions& opts, Caller& caller) {
    const Scope need = scope_of(req);
    const std::string path = req.target.substr(0, req.target.find('?'));
    std::string given;
    bool has_token_header = false;
    if (auto a = req.header("authorization")) {
        const std::string prefix = "Bearer ";
        if (a->size() <= prefix.size() || a->compare(0, prefix.size(), prefix) != 0)
            return error_response(401, "unauthorized", "authentication required",
                                  "the Authorization header must be 'Bearer <token>'",
                                  {{"WWW-Authenticate", "Bearer"}});
        given = a->substr(prefix.size());
        has_token_header = true;
    } else if (auto k = req.header("x-api-key")) {
        given = *k;
        has_token_header = true;
    }
    if (need == Scope::admin) {
        // A browser says where a request comes from; only this node's own pages may change state.
        if (auto origin = req.header("origin")) {
            const std::string* host = req.header("host");
            const bool same = host && (*origin == "http://" + *host || *origin == "https://" + *host);
            if (!same)
                return error_response(403, "cross_origin", "cross-origin request refused",
                                      "a request from '" + *origin +
                                          "' may not change state here (browsers' cross-site requests are refused)");
        }
        if (auto site = req.header("sec-fetch-site"); site && *site == "cross-site")
            return error_response(403, "cross_origin", "cross-origin request refused",
                                  "a browser's cross-site request may not change state here");
        if (!req.body.empty() && json_route(path) && !has_token_header) {
            const std::string* ct = req.header("content-type");
            if (!ct || !starts_with(lower(*ct), "application/json"))
                return error_response(415, "unsupported_media_type", "the body must be JSON",
                                      "send 'Content-Type: application/json' with a JSON body (got " +
                                          (ct ? "'" + *ct + "'" : std::string("none")) + ")");
        }
    }
    if (need == Scope::open) {
        caller = {Scope::open, has_token_header ? "token (not needed)" : "none"};
        return std::nullopt;
    }
    if (opts.admin_token.empty() && opts.read_token.empty()) {
        if (loopback_remote(req.remote)) {
            caller = {Scope::admin, "loopback (protected mode)"};
            return std::nullopt;
        }
        return error_response(
            403, "protected_mode", "protected mode: loopback clients only",
            "this node has no auth.token, so only clients on its own host may " +
                std::string(need == Scope::admin ? "change state or use admin routes" : "read its data") +
                "; set auth.token (and auth.readToken for readers) to serve the network");
    }
    if (!has_token_header) {
        const bool admin_route = starts_with(path, "/admin") || path == "/shutdown";
        return error_response(401, "unauthorized", "authentication required",
                              admin_route ? "admin requests need 'Authorization: Bearer <token>'"
                              : need == Scope::admin
                                  ? "this request changes state: send 'Authorization: Bearer <token>'"
                                  : "reading needs a token: send 'Authorization: Bearer <token>'",
                              {{"WWW-Authenticate", "Bearer"}});
    }
    if (same_token(given, opts.admin_token)) {
        caller = {Scope::admin, "admin token"};
        return std::nullopt;
    }
    if (same_token(given, opts.read_token)) {
        if (need == Scope::admin)
            return error_response(403, "forbidden", "the read token cannot change state",
                                  "this request needs the admin token (auth.token)");
        caller = {Scope::read, "read token"};
        return std::nullopt;
    }
    return error_response(403, "forbidden", "invalid token", "the bearer token is not one this node knows");
}

}  // namespace raftor::http
