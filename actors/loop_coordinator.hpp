#pragma once
// CAF's scheduler for a node: every actor that is not detached runs on the node's event
// loop (runtime/net/event_loop.hpp), the thread that also runs the HTTP server and the
// peer transport. A message from the HTTP handler to the gateway, from the gateway to
// the Raft peer and from the peer to the transport is then a queue push on one thread,
// not a wake-up of another. Actors that block (storage's fsync, the executor's
// processes, the supervisor's self-check) are detached and keep threads of their own.
//
// Ready actors are run in rounds: a round takes every actor queued when it starts and
// runs each (a mailbox drained up to scheduler.max-throughput); actors made ready during
// a round wait for the next, which is posted behind the I/O already queued, so sockets
// are served between rounds.
#include <caf/actor_system.hpp>

namespace raftor::net {
class EventLoop;
}

namespace raftor::actors {

// Installs the loop's scheduler in `cfg` (before the actor system is made from it).
// The loop is running before the actor system starts, and stopped only after the
// system has no actors left.
void run_actors_on(caf::actor_system_config& cfg, net::EventLoop& loop);

}  // namespace raftor::actors
