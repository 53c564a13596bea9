#pragma once
// The executor: on the leader only, it starts queued executions (at most
// max_concurrent handlers at once), runs each handler only after its start is
// committed, and proposes the finishes. A new leader first proposes the recover entry
// that resolves what its predecessors left running. Losing leadership kills every
// handler it runs: their tries are resolved by the next leader.
#include <atomic>
#include <caf/all.hpp>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "actors/introspection.hpp"
#include "actors/messages.hpp"
#include "actors/one_pass.hpp"
#include "actors/peer_protocol.hpp"
#include "actors/wall_clock.hpp"
#include "runtime/exec/handler_spec.hpp"
#include "runtime/state/ops_command.hpp"

namespace raftor::actors {

using ProcessResultPtr = std::shared_ptr<const exec::ProcessResult>;
using done_atom = caf::atom_constant<caf::atom("done")>;        // a handler ended
using recover_atom = caf::atom_constant<caf::atom("recover")>;  // take over a new term's executions

// Its protocol, checked by the compiler: what the peer and the state machine tell it
// (leadership, a change to the operations state); its own recovery, leader tick, wake
// and flush; a handler's end (a built-in sleep, or a process or HTTP call from its
// runner); drain mode, answered with the handlers still running; and the
// introspector's question.
using Executor = caf::typed_actor<
    caf::reacts_to<leadership_atom, bool, std::uint64_t>, caf::reacts_to<ops_changed_atom, bool, bool, bool>,
    caf::reacts_to<recover_atom, std::uint64_t>, caf::reacts_to<tick_atom, std::uint64_t>,
    caf::reacts_to<wake_atom, std::uint64_t>, caf::reacts_to<flush_atom>,
    caf::reacts_to<done_atom, std::uint64_t, std::uint32_t, bool, std::uint64_t>,
    caf::reacts_to<done_atom, std::uint64_t, std::uint32_t, ProcessResultPtr>,
    caf::replies_to<drained_atom, bool>::with<std::uint64_t>, caf::replies_to<inspect_atom>::with<ReportPtr>>;

// A handler that takes its time outside the node: a process (exec, shell) or an HTTP call.
struct HandlerCall {
    std::uint64_t id = 0;
    std::uint32_t attempt = 0;
    exec::HandlerSpec what;
    std::shared_ptr<std::atomic<bool>> cancel;  // set when the try is cancelled: its process is killed
};
// Carries out a HandlerCall and tells the executor how it ended, as (done_atom, id,
// attempt, ProcessResultPtr). A node runs each call on a thread of its own
// (`detached_runner`); the simulator decides from its seed how long each takes and how
// it ends, on its simulated clock. Called on the executor's own turn.
using HandlerRunner = std::function<void(Executor::pointer executor, HandlerCall call)>;
HandlerRunner detached_runner();

struct ExecutorSetup {
    Peer peer;
    std::string node_name;
    std::uint32_t max_concurrent = 10;
    std::size_t output_max = 64 * 1024;
    // How a plain string handler runs: these, then the string (e.g. /bin/sh -c, node -e).
    std::vector<std::string> shell;
    std::vector<std::string> http_hosts;     // http handlers may call these and loopback
    std::string https_ca;                    // ... and verify https servers with this CA (the system's when empty)
    std::map<std::string, std::string> env;  // every exec and shell handler's, under its own
    std::optional<exec::RunAs> run_as;       // the user they run as, when not the node's
    exec::Sandbox sandbox;                   // PID namespace, scratch directories, allowed programs
    WallClock wall = system_wall_clock();
    // The simulator's window (null on a node): told of every handler it launches, so a
    // checker can hold each try to one launch cluster-wide, after its start committed.
    std::function<void(std::uint64_t execution, std::uint32_t attempt)> on_launch;
    HandlerRunner runner = detached_runner();  // processes and HTTP calls
};
using ExecutorSetupPtr = std::shared_ptr<const ExecutorSetup>;

struct ExecutorState {
    struct Running {
        std::uint32_t attempt = 0;
        std::shared_ptr<std::atomic<bool>> cancel;
        std::string operation;
        caf::actor_clock::time_point since{};  // when its handler started, for the console
    };
    bool leading = false;
    bool draining = false;  // an operator drained this node: start nothing new, let running handlers end
    std::uint64_t term = 0;
    std::map<std::uint64_t, Running> running;      // by execution id
    std::set<std::uint64_t> starting;              // starts proposed, not yet applied
    std::vector<state::FinishExecution> finished;  // not yet proposed (or to propose again)
    std::size_t finishes_proposed = 0;             // proposed, not yet answered
    bool flush_queued = false;
    OnePass scan;
    std::uint64_t wake_generation = 0;
    std::uint64_t started_total = 0, finished_total = 0;
    WallClock wall;  // the setup's: finish times
    ActorStats stats;
    static inline const char* name = "executor";
};

Executor::behavior_type executor(Executor::stateful_pointer<ExecutorState> self, ExecutorSetupPtr setup);

}  // namespace raftor::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(raftor::actors::ExecutorSetupPtr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(raftor::actors::ProcessResultPtr)
