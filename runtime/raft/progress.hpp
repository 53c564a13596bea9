#pragma once
// What a leader knows of one follower's log (dissertation 3.5, etcd's tracker.Progress).
#include <deque>

#include "runtime/raft/types.hpp"

namespace raftor::raft {

enum class ProgressState : std::uint8_t {
    probe,      // one append at a time until the follower's match is found
    replicate,  // appends pipelined, up to a window of in-flight messages
    snapshot,   // the follower needs a snapshot; no appends until it is installed
};
const char* to_string(ProgressState s);

// Last index carried by each unacknowledged append, oldest first, bounded.
class Inflights {
public:
    explicit Inflights(std::size_t capacity = 256) : capacity_(capacity) {}
    bool full() const { return items_.size() >= capacity_; }
    std::size_t count() const { return items_.size(); }
    void add(Index last);
    void free_to(Index acked);  // acknowledges every append ending at or below `acked`
    void reset() { items_.clear(); }
    void free_first() {
        if (!items_.empty()) items_.pop_front();
    }

private:
    std::size_t capacity_;
    std::deque<Index> items_;
};

struct Progress {
    Index match = 0;
    Index next = 1;
    ProgressState state = ProgressState::probe;
    bool probe_sent = false;     // in probe: an append is out, wait for its answer or a heartbeat reply
    bool recent_active = false;  // heard from within the current check-quorum period
    Inflights inflights;
    std::uint64_t read_acked = 0;  // highest ReadIndex round this follower confirmed

    // Snapshot being streamed (state == snapshot).
    Snapshot snapshot;
    std::uint64_t snapshot_offset = 0;  // bytes the follower has confirmed

    explicit Progress(std::size_t inflight_max = 256) : inflights(inflight_max) {}

    bool paused() const;
    void become_probe();
    void become_replicate();
    void become_snapshot(Snapshot s);
    // An acknowledgment up to `n`; true when it taught us something.
    bool maybe_update(Index n);
    // After sending entries ending at `last`.
    void sent_entries(Index last);
};

}  // namespace raftor::raft
