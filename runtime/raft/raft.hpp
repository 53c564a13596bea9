#pragma once
// The Raft consensus core: a deterministic state machine in the style of etcd's raft
// package. Inputs: step(message), tick(), propose(), read_index(), on_persisted(),
// compact(). Outputs: ready(). It performs no I/O, reads no clock, starts no thread.
//
// The implementation is split by concern, each file citing the dissertation
// ("Consensus: Bridging Theory and Practice", Ongaro 2014):
//   raft.cpp         - construction, step dispatch, terms, ready/persist bookkeeping
//   election.cpp     - elections, pre-vote, check-quorum (ch. 3.4, 9.6)
//   replication.cpp  - append entries, commit rule, backtracking (ch. 3.5, 3.6)
//   snapshot.cpp     - compaction and chunked InstallSnapshot (ch. 5)
//   membership.cpp   - single-server changes, learners (ch. 4)
//   transfer.cpp     - leadership transfer (ch. 3.10)
//   read_index.cpp   - linearizable reads (ch. 6.4)
#include <deque>
#include <map>
#include <string>

#include "runtime/raft/log.hpp"
#include "runtime/raft/progress.hpp"
#include "runtime/raft/rng.hpp"
#include "runtime/raft/types.hpp"

namespace raftor::raft {

enum class Error : std::uint8_t {
    none = 0,
    not_leader,
    transfer_in_progress,
    conf_change_pending,    // one membership change at a time
    not_committed_in_term,  // a new leader must commit its no-op first
    invalid_conf_change,
    learner_not_caught_up,
    no_leader,
    bad_index,
    backlogged,  // the leader's uncommitted bytes are at their limit: retry shortly
};
const char* to_string(Error e);

struct Proposed {
    Error error = Error::none;
    Index index = 0;
    Term term = 0;
    bool ok() const { return error == Error::none; }
};

class Raft {
public:
    Raft(Config cfg, Restore restore);

    // ---- inputs
    void tick();
    void step(const Message& m);
    Proposed propose(std::string payload);
    Proposed propose_conf_change(ConfChangeType type, NodeId node, std::string context = {});
    Error transfer_leadership(NodeId to);
    // Asks for a read index; the answer comes out as a ReadState carrying `context`.
    Error read_index(std::string context);
    // Everything handed out by ready() with this persist_id (and before) is durable.
    void on_persisted(std::uint64_t persist_id);
    // The answer to a Ready::fetches request: the entries storage read from `from`
    // (none when it could not). Sent on as an append if the follower still needs them.
    void on_fetched(NodeId to, Index from, std::vector<Entry> entries);
    // The state machine took a snapshot at `index` (<= applied); drop the log before it.
    Error compact(Index index, std::shared_ptr<const std::string> data);
    // Starts an election now (tests, and a single node's bootstrap).
    void campaign();

    // ---- outputs
    bool has_ready() const;
    Ready ready();

    // ---- observation (introspection, tests, metrics)
    NodeId id() const { return cfg_.id; }
    const Config& config() const { return cfg_; }
    Role role() const { return role_; }
    Term term() const { return term_; }
    NodeId vote() const { return vote_; }
    NodeId leader() const { return leader_; }
    Index commit() const { return commit_; }
    Index applied() const { return applied_; }
    Index stable() const { return stable_; }
    const RaftLog& log() const { return log_; }
    const ConfState& conf() const { return conf_; }
    // Whether `id` is a member of the configuration in force at the commit index (conf()
    // may be newer: a change is in force from its append, committed or not).
    bool committed_member(NodeId id) const { return conf_at(commit_).is_member(id); }
    const Snapshot& snapshot() const { return snapshot_; }
    NodeId transfer_target() const { return lead_transferee_; }
    const Progress* progress(NodeId id) const;
    HardState hard_state() const { return {term_, vote_, commit_}; }
    std::size_t uncommitted_bytes() const { return uncommitted_bytes_; }

private:
    // raft.cpp
    void send(Message m);
    void send_after_persist(Message m);
    void deliver_to_self(Message m);
    bool check_term(const Message& m);
    void dispatch(const Message& m);
    void set_term(Term t);
    void commit_to(Index i);
    void release_uncommitted();  // up to min(commit, stable)
    void release_held();
    bool cumulative_ack(const Message& m) const;
    Index applicable_to() const;
    bool apply_ready() const;
    void on_fetched_to_apply(Index from, std::vector<Entry> entries);

    // election.cpp
    void tick_election();
    void tick_heartbeat();
    void reset_timers();
    bool promotable() const { return conf_.is_voter(cfg_.id); }
    bool in_lease() const;
    void become_follower(Term t, NodeId leader);
    void become_pre_candidate();
    void become_candidate();
    void become_leader();
    void start_election(bool transfer);
    void run_pre_vote();
    void run_vote(bool transfer);
    void handle_vote_request(const Message& m);
    void handle_vote_response(const Message& m);
    void check_quorum_active();

    // replication.cpp
    void append_entry(Entry e);
    void flush_appends();
    void spread_commit();
    bool send_append(NodeId to, bool allow_empty);
    void send_entries(NodeId to, Index prev, Term prev_term, std::vector<Entry> ents);
    void send_heartbeat(NodeId to);
    void send_window_check(NodeId to);
    void broadcast_heartbeat();
    void broadcast_periodic_heartbeat();  // the heartbeat interval's: may restart lost streams
    bool maybe_commit();                  // true when the commit index moved and we are still leader
    void handle_append(const Message& m);
    void handle_append_response(const Message& m);
    void handle_heartbeat(const Message& m);
    void handle_heartbeat_response(const Message& m);
    void leader_stable_advanced();

    // snapshot.cpp
    void send_snapshot(NodeId to);
    void send_snapshot_chunk(NodeId to, Progress& pr);
    void handle_install_snapshot(const Message& m);
    void handle_install_snapshot_response(const Message& m);
    void install_snapshot(const SnapshotMeta& meta, std::shared_ptr<const std::string> data);

    // membership.cpp
    void apply_conf(const ConfState& c);
    void rebuild_conf();
    ConfState conf_at(Index i) const;
    Progress new_progress() const;
    void maybe_step_down_after_removal();
    void forget_departed();

    // transfer.cpp
    void handle_timeout_now(const Message& m);
    void maybe_send_timeout_now(NodeId to);
    void abort_transfer();

    // read_index.cpp
    void handle_read_request(std::string context, NodeId requester);
    void release_read(Index index, std::string context, NodeId requester);
    void advance_reads();
    void start_read_round();
    void carry_read_round();
    void widen_read_round();
    void answer_read_round(const Message& m);
    bool note_read_round(const Message& m);
    void release_reads_waiting_for_commit();
    void handle_read_index(const Message& m);
    void handle_read_index_response(const Message& m);

    bool committed_in_term() const { return log_.term_at(commit_) == term_; }

    Config cfg_;
    Rng rng_;
    Role role_ = Role::follower;
    Term term_ = 0;
    NodeId vote_ = no_node;
    NodeId leader_ = no_node;
    Index commit_ = 0;
    Index applied_ = 0;  // handed out to the caller in Ready::committed
    Index stable_ = 0;   // durable in local storage
    RaftLog log_;

    // Membership: the configuration in force is that of the latest conf-change entry
    // in the log, committed or not (dissertation 4.1); `conf_base_` is the one the
    // snapshot (or bootstrap) carries.
    ConfState conf_;
    ConfState conf_base_;
    std::vector<std::pair<Index, ConfState>> conf_entries_;

    Snapshot snapshot_;  // latest local snapshot (to stream to followers)

    // Timers, in ticks.
    int election_elapsed_ = 0;
    int heartbeat_elapsed_ = 0;
    int randomized_election_ticks_ = 0;

    // Candidate state: responses by voter.
    std::map<NodeId, bool> votes_;

    // Leader state.
    std::map<NodeId, Progress> progress_;
    // What this leader proposed and has not both committed and stored itself: (index,
    // bytes), oldest first. Its own storage counts: followers alone can commit, and a
    // leader whose disk lags would otherwise queue for it without bound.
    std::deque<std::pair<Index, std::size_t>> uncommitted_;
    std::size_t uncommitted_bytes_ = 0;
    bool broadcast_pending_ = false;         // appends to flush at the next ready()
    bool commit_broadcast_pending_ = false;  // ...even empty ones, to spread a new commit index
    NodeId lead_transferee_ = no_node;
    int transfer_elapsed_ = 0;

    // ReadIndex (leader): rounds waiting for a quorum of heartbeat acks.
    struct PendingRead {
        std::uint64_t seq;
        Index index;
        std::string context;
        NodeId requester;
    };
    std::uint64_t read_seq_ = 0;
    bool read_round_unsent_ = false;        // started; goes out at the next ready()
    std::uint64_t read_round_widened_ = 0;  // the newest round sent to every voter
    std::deque<PendingRead> reads_;
    std::vector<std::pair<std::string, NodeId>> reads_waiting_commit_;

    // Follower: the newest read round answered, and its term.
    std::uint64_t read_round_answered_ = 0;
    Term read_round_term_ = 0;

    // Follower: snapshot chunks received so far.
    struct IncomingSnapshot {
        SnapshotMeta meta;
        std::string data;
    };
    std::optional<IncomingSnapshot> incoming_;

    // Output bookkeeping.
    std::vector<Message> msgs_;
    std::vector<Fetch> fetches_;
    // Committed entries older than the log's cache (after a restart), read back from
    // storage to be applied: what came back, whether a read is out, and whether the
    // last one failed (asked again at the next tick, not in a loop).
    std::vector<Entry> apply_fetched_;
    bool apply_fetching_ = false;
    bool apply_fetch_failed_ = false;
    std::deque<std::pair<std::uint64_t, Message>> held_;  // sent once persist_id >= first
    std::vector<ReadState> read_states_;
    HardState issued_hs_;      // last hard state handed out for persisting
    Index unissued_from_ = 0;  // first log index not yet handed out for persisting (0 = none)
    std::optional<Snapshot> pending_install_;
    std::uint64_t issued_seq_ = 0;
    std::uint64_t persisted_seq_ = 0;
    struct IssuedWrite {
        std::uint64_t id;
        Index last_index;
        Term last_term;
    };
    std::deque<IssuedWrite> issued_writes_;
};

}  // namespace raftor::raft
