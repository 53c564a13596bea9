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

// Each unacknowledged append (its last index and its entries' bytes), oldest first,
// bounded in count and in bytes.
class Inflights {
public:
    explicit Inflights(std::size_t capacity = 256, std::size_t bytes_max = 0)
        : capacity_(capacity), bytes_max_(bytes_max) {}
    bool full() const { return items_.size() >= capacity_ || (bytes_max_ != 0 && bytes_ >= bytes_max_); }
    std::size_t count() const { return items_.size(); }
    std::size_t bytes() const { return bytes_; }
    void add(Index last, std::size_t bytes);
    void free_to(Index acked);  // acknowledges every append ending at or below `acked`
    void reset() {
        items_.clear();
        bytes_ = 0;
    }
    void free_first();

private:
    struct Item {
        Index last;
        std::size_t bytes;
    };
    std::size_t capacity_;
    std::size_t bytes_max_;
    std::size_t bytes_ = 0;
    std::deque<Item> items_;
};

struct Progress {
    Index match = 0;
    Index next = 1;
    ProgressState state = ProgressState::probe;
    bool probe_sent = false;     // in probe: an append is out, wait for its answer or a heartbeat reply
    bool recent_active = false;  // heard from within the current check-quorum period
    Index commit_sent = 0;       // the highest commit index any message to it carried
    // Set once per heartbeat interval: the next heartbeat answer may restart a stream
    // whose messages were lost (a probe, a full window, a snapshot chunk). Answers to
    // the heartbeat rounds of reads come far more often and must not resend each time.
    bool may_resume = false;
    Inflights inflights;
    std::uint64_t read_acked = 0;  // highest ReadIndex round this follower confirmed
    bool fetching = false;         // its next entries are being read back from storage

    // Snapshot being streamed (state == snapshot).
    Snapshot snapshot;
    std::uint64_t snapshot_offset = 0;    // bytes the follower has confirmed
    std::uint64_t snapshot_sent_end = 0;  // end of the one chunk in flight (0: none)
    bool snapshot_progressed = false;     // the follower confirmed a chunk since the last resume

    explicit Progress(std::size_t inflight_max = 256, std::size_t inflight_bytes_max = 0)
        : inflights(inflight_max, inflight_bytes_max) {}

    bool paused() const;
    void become_probe();
    void become_replicate();
    void become_snapshot(Snapshot s);
    // An acknowledgment up to `n`; true when it taught us something.
    bool maybe_update(Index n);
    // After sending entries ending at `last`, of `bytes` in all.
    void sent_entries(Index last, std::size_t bytes);
};

}  // namespace raftor::raft
