#pragma once
// How long an actor waits for another's answer, by what it asks: named, with units, so
// a reader sees what each wait is for and changes it in one place.
#include <chrono>

namespace raftor::actors::timeouts {

using namespace std::chrono_literals;

inline constexpr std::chrono::milliseconds peer_status = 2s;    // the raft_peer's status (health, metrics, admin)
inline constexpr std::chrono::milliseconds actor_reports = 3s;  // the introspector's reports of every actor
inline constexpr std::chrono::milliseconds propose = 10s;       // an operations command, until it applies
inline constexpr std::chrono::milliseconds local_query = 5s;    // a look at this node's copy of the state
inline constexpr std::chrono::milliseconds drain = 5s;          // the executor or peer acknowledging a drain
inline constexpr std::chrono::milliseconds transfer = 30s;  // a leadership transfer, to the new leader's first entry
inline constexpr std::chrono::milliseconds storage_resize =
    30s;                                                     // growing the LMDB map and retrying the writes that waited
inline constexpr std::chrono::milliseconds final_sync = 5s;  // the last flush at a graceful stop
inline constexpr std::chrono::milliseconds http_drain = 5s;  // requests in flight answered, at a graceful stop
inline constexpr std::chrono::milliseconds loop_drain = 2s;  // connections closing, at the end of a graceful stop
inline constexpr std::chrono::milliseconds loop_fence = 5s;  // the loop finishing its current work, as the actors stop
inline constexpr std::chrono::milliseconds snapshot_now = 5min;  // a snapshot made on demand (admin, backup)
// Not an answer's wait: how long a leader's own actor waits before it proposes again what
// was refused (a recover, finishes, its signing key), while it still leads the same term.
// Proposing again at once spins while the refusal lasts (a leadership transfer).
inline constexpr std::chrono::milliseconds propose_again = 200ms;
// Other waits of an actor on itself:
inline constexpr std::chrono::milliseconds drain_poll = 100ms;       // a drain looks again at what still runs
inline constexpr std::chrono::milliseconds storage_full_retry = 1s;  // writes kept for lack of room, tried again
inline constexpr std::chrono::milliseconds first_self_check = 2s;    // once the node had a moment to connect
inline constexpr std::chrono::milliseconds refusal_log_every =
    1min;  // a peer's refused frames, logged at most so often

}  // namespace raftor::actors::timeouts
