#include "runtime/raft/progress.hpp"

#include "runtime/raft/assert.hpp"

namespace raftor::raft {

const char* to_string(ProgressState s) {
    switch (s) {
        case ProgressState::probe: return "probe";
        case ProgressState::replicate: return "replicate";
        case ProgressState::snapshot: return "snapshot";
    }
    return "?";
}

void Inflights::add(Index last, std::size_t bytes) {
    RAFT_ASSERT(!full(), "inflight window is bounded");
    RAFT_ASSERT(items_.empty() || items_.back().last < last, "inflight appends are ordered");
    items_.push_back({last, bytes});
    bytes_ += bytes;
}

void Inflights::free_to(Index acked) {
    while (!items_.empty() && items_.front().last <= acked) free_first();
}

void Inflights::free_first() {
    if (items_.empty()) return;
    bytes_ -= items_.front().bytes;
    items_.pop_front();
}

bool Progress::paused() const {
    switch (state) {
        case ProgressState::probe: return probe_sent;
        case ProgressState::replicate: return inflights.full();
        case ProgressState::snapshot: return true;
    }
    return true;
}

void Progress::become_probe() {
    // After a snapshot, the follower has at least the snapshot's entries.
    if (state == ProgressState::snapshot)
        next = std::max(match + 1, snapshot.meta.index + 1);
    else
        next = match + 1;
    state = ProgressState::probe;
    probe_sent = false;
    inflights.reset();
    snapshot = {};
    snapshot_offset = 0;
    snapshot_sent_end = 0;
}

void Progress::become_replicate() {
    state = ProgressState::replicate;
    next = match + 1;
    probe_sent = false;
    inflights.reset();
}

void Progress::become_snapshot(Snapshot s) {
    state = ProgressState::snapshot;
    probe_sent = false;
    inflights.reset();
    snapshot = std::move(s);
    snapshot_offset = 0;
    snapshot_sent_end = 0;
    snapshot_progressed = false;
}

bool Progress::maybe_update(Index n) {
    bool updated = false;
    if (n > match) {
        match = n;
        updated = true;
        probe_sent = false;
    }
    next = std::max(next, n + 1);
    return updated;
}

void Progress::sent_entries(Index last, std::size_t bytes) {
    if (state == ProgressState::replicate) {
        next = last + 1;
        inflights.add(last, bytes);
    } else {
        probe_sent = true;
    }
}

}  // namespace raftor::raft
