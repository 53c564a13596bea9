#pragma once
// Who may call what, decided once per request before it is routed (pure).
//
// Three scopes: `open` (health probes, metrics, the console page), `read` (everything
// else a GET may see: KV values, operation definitions, outputs, receipts, actors) and
// `admin` (every request that changes state, and every /admin route, reads too).
//
// With tokens configured (auth.token: admin; auth.readToken: read only), a request
// carries one as `Authorization: Bearer <token>` or `X-Api-Key: <token>`.
// With no token configured the node is in protected mode: only clients on loopback
// may go beyond `open` (as Redis does), whatever address it listens on.
//
// Whatever the token, a browser's cross-origin request that would change state is
// refused (its Origin is not this node), and a JSON route's body must say it is JSON
// unless the request carries a token header: a page elsewhere cannot make a browser
// on this host call the API (CSRF).
#include <optional>
#include <string>

#include "runtime/http/message.hpp"

namespace raftor::http {

enum class Scope { open, read, admin };
const char* to_string(Scope s);

struct AccessOptions {
    std::string admin_token;  // empty: protected mode
    std::string read_token;
};

// The scope a request needs.
Scope scope_of(const Request& req);

// What the caller proved: the scope it was granted and how, for the audit log.
struct Caller {
    Scope scope = Scope::open;
    std::string how;  // "admin token", "read token", "loopback (protected mode)", "none"
};

// The refusal, or nullopt with `caller` filled in.
std::optional<Response> authorize(const Request& req, const AccessOptions& opts, Caller& caller);

// The address of `remote` without its port: "10.0.0.7:51234" -> "10.0.0.7",
// "::1:8080" (as the server writes it) or "[::1]:8080" -> "::1".
std::string client_address(const std::string& remote);

// Whether `remote` ("address:port" as the server writes it) is a loopback address.
bool loopback_remote(const std::string& remote);

}  // namespace raftor::http
