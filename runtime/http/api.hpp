#pragma once
// The HTTP API as pure functions: a request becomes either a call for the node
// (read or write a key, a health probe) or an immediate answer (a client error);
// the node's results become responses. No I/O, no Beast, no CAF: tested directly.
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "runtime/http/access.hpp"
#include "runtime/http/admin_api.hpp"
#include "runtime/http/message.hpp"
#include "runtime/http/metrics_api.hpp"
#include "runtime/http/ops_calls.hpp"
#include "runtime/introspect/actor_report.hpp"
#include "runtime/node/self_check.hpp"
#include "runtime/schedule/schedule.hpp"
#include "runtime/state/kv_store.hpp"

namespace raftor::http {

struct KvGet {
    std::string key;
    bool stale = false;
};
struct KvWrite {
    state::KvCommand cmd;
};
enum class Probe { health, live, ready, startup, cluster };
struct HealthCall {
    Probe probe = Probe::health;
};
struct DebugActors {
    std::string name;           // empty: every actor
    bool trace = false;         // /debug/actors/:name/trace: the messages it handled
    std::uint64_t after = 0;    // trace: only those after this sequence number
    std::uint64_t limit = 256;  // trace: at most this many (the newest)
    std::string node;           // ?node=NAME: that member's answer (the gateway forwards there)
};
using Call = std::variant<KvGet, KvWrite, HealthCall, DebugActors, OpsWrite, OpsRead, MetricsCall, AdminCall>;

struct Routed {
    std::optional<Call> call;  // empty: answer `response` as it is
    Response response;
    bool forward = true;     // a write to a follower may be forwarded (false: answer 307)
    bool forwarded = false;  // this request was already forwarded once by a gateway
    Caller caller;           // what the caller proved (access.hpp), for the audit log
    // A write that reached a follower goes on to the leader (false: 307 to it).
    bool may_proxy() const { return forward && !forwarded; }
};

struct ApiOptions {
    std::string auth_token;                     // admin scope; with read_token empty too: protected mode (access.hpp)
    std::string read_token;                     // read scope
    bool allow_shell = false;                   // plain string handlers (run by the configured interpreter)
    std::vector<std::string> http_hosts;        // hosts http handlers may call besides loopback
    std::vector<std::string> allowed_programs;  // handlers.allowedPrograms; empty: any
    std::string shell_program;                  // the first word of handlers.shell
    schedule::ZoneLoader zones;
};

// Authorizes (access.hpp), then routes.
Routed route(const Request& req, const ApiOptions& opts);
Routed route_authorized(const Request& req, const ApiOptions& opts);

// ---- shared by the route files (api.cpp, operations_api.cpp)
Routed answer(Response r);  // answered as it is, no call
Routed bad_request(const std::string& code, const std::string& error, const std::string& detail, int status = 400);
Routed method_not_allowed(const Request& req, const std::string& path, const std::string& allow);
bool is_get(const Request& req);  // GET or HEAD

// Optional client-chosen request ids (X-Client-Id, X-Request-Seq) make retries safe:
// the state machine applies each once and answers a retry with the first result. The
// id is bound to the caller's address (the client's, when a member forwards), so one
// client cannot make another's writes look like duplicates. The refusal when they are
// malformed.
std::optional<Response> read_request_id(const Request& req, state::RequestId& out);
using QueryItems = std::vector<std::pair<std::string, std::string>>;
bool parse_u64(const std::string& s, std::uint64_t& out);
bool parse_bool(const std::string& s, bool& out);

// ---- rendering results
Response kv_written(const state::KvCommand& cmd, const state::KvResult& r);
Response kv_read(const std::string& key, const std::optional<state::KvValue>& v);
// The node is not the leader: forward to `leader_address`, redirect to it, or 503 when
// there is no leader to name. With `tls` the address is the leader's HTTPS one.
// proxy: Routed::may_proxy() of the request.
Response not_leader(const Request& req, bool proxy, const std::string& leader_name, const std::string& leader_address,
                    bool tls = false);
Response outcome_unknown(const std::string& detail);
Response invalid(const std::string& detail);
Response unavailable(const std::string& code, const std::string& error, const std::string& detail);

// What a node knows about itself and its cluster, for the health endpoints.
struct MemberView {
    std::string name;
    std::uint64_t id = 0;
    std::string peer_address, http_address;
    bool voter = true;
    std::string https_address;  // with TLS
    // Known on the leader only:
    std::optional<std::uint64_t> match_index;
    std::optional<std::uint64_t> lag_entries;
    std::optional<std::uint64_t> lag_ms;
};
struct NodeView {
    bool started = false;  // storage opened and log replayed
    bool storage_ok = true;
    std::string node;  // this node's name
    std::string role;  // "leader", "follower", "candidate", "pre-candidate"
    std::uint64_t term = 0;
    std::string leader;  // name; empty when unknown
    std::uint64_t commit_index = 0, applied_index = 0;
    std::uint64_t last_index = 0;
    // Milliseconds: on the leader the oldest entry some member still lacks; on a
    // follower, the time since the leader was last heard from beyond one heartbeat.
    std::uint64_t replication_lag_ms = 0;
    bool replicated = false;    // leader: every member has every entry; follower: caught up
    bool member = true;         // in the configuration (a removed or joining node is not)
    bool draining = false;      // an operator drained it: not ready, though healthy
    bool storage_full = false;  // out of room: it takes no writes (reads go on)
    std::string storage_full_reason;
    std::vector<MemberView> members;
    node::SelfCheck self_check;  // the last periodic self-check (done is false before the first)
};
Response health(Probe probe, const NodeView& v);
// GET /debug/actors[/:name]: every actor's report, or the one named (404 when none is).
// GET /debug/actors/:name/trace[?after=N&limit=M]: the messages it handled, oldest first.
Response actors(const std::string& node, const DebugActors& call, const std::vector<introspect::ActorReport>& reports);

// Helpers shared with the CLI.
std::string percent_decode(const std::string& s, bool& ok);
std::string percent_encode(const std::string& s);
bool is_utf8(const std::string& s);
std::string base64_encode(const std::string& s);

}  // namespace raftor::http
