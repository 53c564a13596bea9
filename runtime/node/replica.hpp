#pragma once
// One node's replicated logic without I/O: the Raft core, the state machine it
// feeds, the client requests waiting on both, and the snapshot policy. The node's
// actors persist what `Ready` says, send its messages, and hand completions back to
// clients; they decide nothing themselves.
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/raft/raft.hpp"
#include "runtime/state/kv_store.hpp"

namespace raftor::node {

using Token = std::uint64_t;  // the caller's handle on one client request

enum class Outcome : std::uint8_t {
    done,        // applied (a write) or served (a read); see `result` / `value`
    not_leader,  // refused: ask `leader_hint` (0: unknown)
    unknown,     // a write whose entry was overwritten or whose leader stepped down:
                 // it may or may not apply; retrying with the same request id is safe
    invalid,     // the request itself is bad; `detail` says why
};
const char* to_string(Outcome o);

struct Completion {
    Token token = 0;
    Outcome outcome = Outcome::done;
    state::KvResult result;               // writes
    std::optional<state::KvValue> value;  // reads (nothing: the key does not exist)
    raft::NodeId leader_hint = 0;
    std::string detail;
};

struct Options {
    std::uint64_t snapshot_interval_ops = 100'000;
};

// What the caller must do with one step of the replica, in this order:
// persist (hard state, entries, snapshot, local snapshot), send, complete.
struct Actions {
    raft::Ready ready;
    // A snapshot the replica took itself: store it and drop the log it covers.
    std::optional<raft::Snapshot> local_snapshot;
    std::vector<Completion> completions;
};

class Replica {
public:
    // `restore.snapshot_data`, when present, is a KV snapshot the state machine restarts from.
    Replica(raft::Config cfg, raft::Restore restore, Options opts);

    // ---- client requests (each completes exactly once, through Actions::completions)
    void write(Token t, state::KvCommand cmd);
    void read(Token t, std::string key, bool stale);

    // ---- inputs from the actors
    void tick() { core_.tick(); }
    void step(const raft::Message& m) { core_.step(m); }
    void persisted(std::uint64_t persist_id) { core_.on_persisted(persist_id); }

    // Drains the core: applies committed entries, serves reads, settles requests.
    Actions advance();
    bool has_work() const { return core_.has_ready() || !completions_.empty(); }

    const raft::Raft& core() const { return core_; }
    raft::Raft& core() { return core_; }
    const state::KvStore& kv() const { return kv_; }
    std::size_t pending_writes() const { return writes_.size(); }
    std::size_t pending_reads() const { return reads_.size() + reads_ready_.size(); }

private:
    void apply(const raft::Entry& e);
    void serve_ready_reads();
    void fail_all_pending(Outcome why);
    void complete(Completion c) { completions_.push_back(std::move(c)); }

    raft::Raft core_;
    state::KvStore kv_;
    Options opts_;
    raft::Index last_snapshot_index_ = 0;
    raft::Role last_role_ = raft::Role::follower;
    raft::Term last_term_ = 0;

    struct PendingWrite {
        Token token;
        raft::Term term;
    };
    std::map<raft::Index, PendingWrite> writes_;  // by log index
    struct PendingRead {
        Token token;
        std::string key;
    };
    std::map<std::string, PendingRead> reads_;             // by ReadIndex context, waiting for a read index
    std::multimap<raft::Index, PendingRead> reads_ready_;  // by read index, waiting for apply
    std::vector<Completion> completions_;
};

}  // namespace raftor::node
