#pragma once
// Bridges the HTTP server (Beast, its own I/O thread) to the node's actors. The server
// sends each request here with a reply callback; this actor routes it (pure
// runtime/http/api), asks the raft_peer without blocking, and answers through the
// callback, which posts the response back to the server's thread.
#include <atomic>
#include <caf/all.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <utility>

#include "actors/directory.hpp"
#include "actors/executor.hpp"
#include "actors/introspection.hpp"
#include "actors/messages.hpp"
#include "actors/peer_protocol.hpp"
#include "actors/wall_clock.hpp"
#include "runtime/http/api.hpp"
#include "runtime/http/operation_cache.hpp"
#include "runtime/metrics/metrics_input.hpp"

namespace raftor::actors {

using RequestPtr = std::shared_ptr<const http::Request>;
using ReplyPtr = std::shared_ptr<const std::function<void(http::Response)>>;

// Whether an operator drained this node (POST /admin/drain); outlives a restarted gateway.
struct DrainMode {
    bool on = false;
};

struct GatewaySetup {
    Peer peer;
    WallClock wall = system_wall_clock();  // write times, waits, metrics windows
    Executor executor;                     // may be null: a drain then only moves leadership
    std::function<void()> request_stop;    // POST /shutdown: the graceful stop SIGTERM makes
    // GET /admin/backup, after a snapshot: archives the store (blocking: run off the
    // actor threads) and answers with the archive or the error. May be null.
    std::function<http::Response()> backup;
    std::shared_ptr<std::atomic<bool>> backup_running = std::make_shared<std::atomic<bool>>(false);
    std::shared_ptr<DrainMode> drain = std::make_shared<DrainMode>();
    caf::actor introspector;  // may be null: /debug/actors then lists nothing
    std::string node_name;
    http::ApiOptions api;
    std::shared_ptr<const Directory> directory;
    // Set by the peer: the leader's id while another member leads (may be null).
    std::shared_ptr<const std::atomic<raft::NodeId>> leader_elsewhere;
    std::chrono::milliseconds request_timeout{10'000};
    std::size_t min_voters = 1;  // raft.minClusterSize: the leader's removal is refused before its handover
    std::shared_ptr<http::OperationCache> cache;  // may be null: no cache
    // For GET /metrics (each may be null/empty: those figures are then absent or zero).
    // The last periodic self-check (the supervisor runs it), for /health. May be null.
    std::function<node::SelfCheck()> self_check;
    metrics::CountersPtr counters;
    std::function<std::vector<metrics::TransportPeer>()> transport_figures;
    std::function<std::uint64_t()> transport_refused;
    std::string data_dir;  // storage_bytes and the file system's figures
    // The LMDB map size: storageMapBytes, or what POST /admin/storage set since.
    std::shared_ptr<std::atomic<std::uint64_t>> storage_map_bytes = std::make_shared<std::atomic<std::uint64_t>>(0);
    caf::actor_clock::time_point started{};  // when the node started, on the actor clock (set by the assembly)
};
using GatewaySetupPtr = std::shared_ptr<const GatewaySetup>;

// A POST /execute/:id?wait=true waiting for its execution to be final.
struct ExecutionWaiter {
    std::uint64_t id = 0;
    std::int64_t deadline_ms = 0;
    ReplyPtr out;
};
constexpr std::size_t execution_waiters_max = 10'000;

// A drain waiting for running handlers to end and for leadership to move.
struct DrainWait {
    ReplyPtr out;
    caf::actor_clock::time_point began, deadline;  // the actor clock
};
using DrainWaitPtr = std::shared_ptr<const DrainWait>;

// Its protocol, checked by the compiler: a request from the HTTP server, with the
// callback that answers it; what the state machine and the peer tell their
// subscribers; its own timers (a wait for an execution, a drain's next look, the
// deadlines of requests to the peer); and the introspector's question.
using Gateway = caf::typed_actor<
    caf::reacts_to<http_atom, RequestPtr, ReplyPtr>, caf::reacts_to<wake_atom, std::uint64_t, std::int64_t, ReplyPtr>,
    caf::reacts_to<ops_changed_atom, bool, bool, bool>, caf::reacts_to<leadership_atom, bool, std::uint64_t>,
    caf::reacts_to<wake_atom, DrainWaitPtr>, caf::reacts_to<tick_atom>, caf::replies_to<inspect_atom>::with<ReportPtr>>;

// An HTTP request waiting for the peer's answer. It is answered once: by the peer, or
// by its deadline, whichever comes first (both on the gateway's thread).
struct AwaitedAnswer {
    ReplyPtr out;
    caf::actor_clock::time_point deadline;
    bool write = false;    // a write that timed out may still apply: its answer says so
    bool claimed = false;  // answered, or handed on to be answered
    bool claim() { return !std::exchange(claimed, true); }
};
using AwaitedPtr = std::shared_ptr<AwaitedAnswer>;

struct GatewayState {
    ActorStats stats;
    // Requests to the peer, oldest first. They all wait setup->request_timeout, so their
    // deadlines come in this order and one timer over the queue does (tick_atom). CAF's
    // own request timeouts woke its clock thread twice per request (set, then cancel):
    // about half the leader's context switches under load.
    std::deque<AwaitedPtr> awaiting;
    bool sweep_armed = false;
    // Looked at when the state machine says the operations changed (no polling); one
    // look at a time, another after it when changes came meanwhile.
    std::vector<ExecutionWaiter> waiters;
    bool looking = false, look_again = false;
    static inline const char* name = "http_gateway";
};

Gateway::behavior_type http_gateway(Gateway::stateful_pointer<GatewayState> self, GatewaySetupPtr setup);

}  // namespace raftor::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(raftor::actors::RequestPtr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(raftor::actors::ReplyPtr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(raftor::actors::GatewaySetupPtr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(raftor::actors::DrainWaitPtr)
