#include "runtime/raft/raft.hpp"

#include <algorithm>

#include "runtime/raft/assert.hpp"

namespace raftor::raft {

const char* to_string(Error e) {
    switch (e) {
        case Error::none: return "ok";
        case Error::not_leader: return "not leader";
        case Error::transfer_in_progress: return "leadership transfer in progress";
        case Error::conf_change_pending: return "a membership change is already pending";
        case Error::not_committed_in_term: return "leader has not committed an entry in its term yet";
        case Error::invalid_conf_change: return "invalid membership change";
        case Error::learner_not_caught_up: return "learner has not caught up";
        case Error::no_leader: return "no known leader";
        case Error::bad_index: return "index out of range";
        case Error::backlogged: return "the leader has too many uncommitted bytes";
    }
    return "?";
}

const char* to_string(Role r) {
    switch (r) {
        case Role::follower: return "follower";
        case Role::pre_candidate: return "pre-candidate";
        case Role::candidate: return "candidate";
        case Role::leader: return "leader";
    }
    return "?";
}

const char* to_string(MessageType t) {
    static constexpr const char* names[message_type_count] = {
        "pre_vote",    "pre_vote_resp", "vote",           "vote_resp",        "append",
        "append_resp", "heartbeat",     "heartbeat_resp", "install_snapshot", "install_snapshot_resp",
        "timeout_now", "read_index",    "read_index_resp"};
    const auto i = static_cast<int>(t);
    return i < message_type_count ? names[i] : "?";
}

Raft::Raft(Config cfg, Restore restore)
    : cfg_(cfg),
      rng_(cfg.seed ^ (cfg.id * 0x9E3779B97F4A7C15ull)),
      log_(restore.snapshot.index, restore.snapshot.term, std::move(restore.entries), restore.cached_from) {
    RAFT_ASSERT(cfg_.id != no_node, "a node id is never 0");
    RAFT_ASSERT(cfg_.heartbeat_ticks > 0 && cfg_.election_ticks > cfg_.heartbeat_ticks,
                "election timeout exceeds the heartbeat interval");
    RAFT_ASSERT(cfg_.inflight_appends_max > 0 && cfg_.append_entries_max > 0, "limits are positive");
    term_ = restore.hard_state.term;
    vote_ = restore.hard_state.vote;
    // What the state machine applied was committed, whatever the hard state says.
    applied_ = std::max(restore.snapshot.index, restore.applied);
    commit_ = std::max(restore.hard_state.commit, applied_);
    RAFT_ASSERT(commit_ <= log_.last_index(), "restored commit index is within the log");
    stable_ = log_.last_index();
    issued_hs_ = hard_state();
    if (restore.snapshot.index > 0) {
        snapshot_ = Snapshot{restore.snapshot, restore.snapshot_data};
        conf_base_ = restore.snapshot.conf;
    } else {
        conf_base_ = restore.initial_conf;
    }
    rebuild_conf();
    reset_timers();
}

const Progress* Raft::progress(NodeId id) const {
    auto it = progress_.find(id);
    return it == progress_.end() ? nullptr : &it->second;
}

// ---- outputs

void Raft::send(Message m) {
    m.from = cfg_.id;
    if (m.term == 0) m.term = term_;
    RAFT_ASSERT(m.to != cfg_.id, "messages to self go through deliver_to_self");
    msgs_.push_back(std::move(m));
}

// Replies that promise durable state (a vote, an acknowledged append, an installed
// snapshot) leave only once that state is on disk (dissertation 3.8).
void Raft::send_after_persist(Message m) {
    m.from = cfg_.id;
    if (m.term == 0) m.term = term_;
    held_.emplace_back(issued_seq_ + 1, std::move(m));
}

void Raft::deliver_to_self(Message m) {
    m.from = cfg_.id;
    m.to = cfg_.id;
    if (m.term == 0) m.term = term_;
    held_.emplace_back(issued_seq_ + 1, std::move(m));
}

Index Raft::applicable_to() const {
    return std::min(commit_, stable_);
}

// Something committed to hand to the state machine now: from the cache, from what
// storage read back, or a read of it to ask for.
bool Raft::apply_ready() const {
    if (applied_ >= applicable_to()) return false;
    if (applied_ + 1 >= log_.cached_from() || !apply_fetched_.empty()) return true;
    return !apply_fetching_ && !apply_fetch_failed_;
}

void Raft::on_fetched_to_apply(Index from, std::vector<Entry> entries) {
    apply_fetching_ = false;
    if (entries.empty()) {
        apply_fetch_failed_ = true;  // storage says why in its log; asked again at the next tick
        return;
    }
    // Only what comes next, and only entries this log holds as they are: a snapshot may
    // have moved the applied index while storage read.
    if (from != applied_ + 1 || !apply_fetched_.empty()) return;
    for (std::size_t k = 0; k < entries.size(); ++k)
        if (entries[k].index != from + k || log_.term_at(entries[k].index) != entries[k].term) {
            entries.resize(k);
            break;
        }
    apply_fetched_ = std::move(entries);
}

bool Raft::has_ready() const {
    if (!msgs_.empty() || !read_states_.empty() || !fetches_.empty() || pending_install_) return true;
    if (hard_state() != issued_hs_) return true;
    if (unissued_from_ != 0 && unissued_from_ <= log_.last_index()) return true;
    if (apply_ready()) return true;
    if (!held_.empty() && held_.back().first > issued_seq_) return true;
    if (broadcast_pending_ && role_ == Role::leader) return true;
    if (read_round_unsent_ && role_ == Role::leader) return true;
    return false;
}

Ready Raft::ready() {
    if (broadcast_pending_ && role_ == Role::leader) flush_appends();
    broadcast_pending_ = false;
    carry_read_round();

    Ready rd;
    if (hard_state() != issued_hs_) {
        rd.hard_state = hard_state();
        issued_hs_ = *rd.hard_state;
    }
    if (pending_install_) {
        rd.snapshot = std::move(pending_install_);
        pending_install_.reset();
    }
    if (unissued_from_ != 0 && unissued_from_ <= log_.last_index()) {
        rd.entries = log_.slice(unissued_from_, log_.last_index());
    }
    unissued_from_ = 0;
    const bool writes = rd.hard_state || rd.snapshot || !rd.entries.empty();
    const bool held_waiting = !held_.empty() && held_.back().first > issued_seq_;
    if (writes || held_waiting) {
        rd.persist_id = ++issued_seq_;
        issued_writes_.push_back({rd.persist_id, log_.last_index(), log_.last_term()});
    }
    rd.messages = std::move(msgs_);
    msgs_.clear();
    const Index to = applicable_to();
    if (applied_ < to && !apply_fetched_.empty()) {
        // Read back from storage: handed out up to what is committed; the rest is dropped
        // (the cache, or another read, has it when it commits).
        if (apply_fetched_.front().index == applied_ + 1) {
            for (auto& e : apply_fetched_)
                if (e.index <= to) rd.committed.push_back(std::move(e));
            applied_ = rd.committed.back().index;
        }
        apply_fetched_.clear();
    } else if (applied_ < to && applied_ + 1 >= log_.cached_from()) {
        rd.committed = log_.slice(applied_ + 1, to);
        RAFT_ASSERT(!rd.committed.empty() && rd.committed.back().index == to, "committed entries are in the log");
        applied_ = to;
    } else if (applied_ < to && !apply_fetching_ && !apply_fetch_failed_) {
        apply_fetching_ = true;
        const Index upto = std::min(to, log_.cached_from() - 1);
        fetches_.push_back(Fetch{.to = cfg_.id,
                                 .from = applied_ + 1,
                                 .count = static_cast<std::size_t>(upto - applied_),
                                 .bytes = cfg_.append_bytes_max});
    }
    rd.read_states = std::move(read_states_);
    read_states_.clear();
    rd.fetches = std::move(fetches_);
    fetches_.clear();
    // Durable and handed to the state machine: nothing here needs those payloads again.
    if (cfg_.log_cache_bytes_max != 0) log_.evict(std::min(stable_, applied_), cfg_.log_cache_bytes_max);
    return rd;
}

void Raft::on_persisted(std::uint64_t persist_id) {
    RAFT_ASSERT(persist_id > persisted_seq_ && persist_id <= issued_seq_, "persist ids arrive in order");
    persisted_seq_ = persist_id;
    const Index stable_before = stable_;
    while (!issued_writes_.empty() && issued_writes_.front().id <= persist_id) {
        const IssuedWrite w = issued_writes_.front();
        issued_writes_.pop_front();
        // A write whose tail was since truncated proves nothing about the new tail;
        // the later write that carries the new entries will.
        if (log_.matches(w.last_index, w.last_term)) stable_ = std::max(stable_, w.last_index);
    }
    if (stable_ > stable_before && role_ == Role::leader) {
        leader_stable_advanced();
        release_uncommitted();
    }
    release_held();
}

bool Raft::cumulative_ack(const Message& m) const {
    if (msgs_.empty() || m.type != MessageType::append_resp || m.reject) return false;
    const Message& last = msgs_.back();
    return last.type == MessageType::append_resp && !last.reject && last.to == m.to && last.term == m.term &&
           last.index <= m.index;
}

void Raft::release_held() {
    while (!held_.empty() && held_.front().first <= persisted_seq_) {
        Message m = std::move(held_.front().second);
        held_.pop_front();
        // A reply computed in an older term is stale once the term moved on.
        if (m.term != term_) continue;
        if (m.to == cfg_.id) {
            step(m);
        } else if (cumulative_ack(m)) {
            // Acknowledgements of appends are cumulative: of several released together
            // (one fsync covered them), the last says all.
            msgs_.back() = std::move(m);
        } else {
            msgs_.push_back(std::move(m));
        }
    }
}

// ---- inputs

void Raft::tick() {
    apply_fetch_failed_ = false;
    if (role_ == Role::leader) {
        spread_commit();
        widen_read_round();
        tick_heartbeat();
    } else
        tick_election();
}

// Section 3.3: a newer term always wins; an older one is answered or ignored.
// Returns false when the message must not be processed further.
bool Raft::check_term(const Message& m) {
    if (m.term > term_) {
        const bool vote_request = m.type == MessageType::vote || m.type == MessageType::pre_vote;
        // Section 4.2.3 / 9.6: a server that heard from a live leader within the
        // minimum election timeout ignores vote requests, unless a transfer asked.
        if (vote_request && !m.transfer && in_lease()) return false;
        if (m.type == MessageType::pre_vote) return true;  // pre-vote never moves our term
        if (m.type == MessageType::pre_vote_resp && !m.reject) return true;
        const bool from_leader = m.type == MessageType::append || m.type == MessageType::heartbeat ||
                                 m.type == MessageType::install_snapshot;
        become_follower(m.term, from_leader ? m.from : no_node);
        return true;
    }
    if (m.term < term_) {
        // Tell a stale leader (or pre-candidate) about the newer term so it steps down;
        // with check-quorum or pre-vote it may otherwise never learn of it (etcd #5451).
        if (m.type == MessageType::append || m.type == MessageType::heartbeat) {
            send(Message{.type = MessageType::append_resp, .to = m.from});
        } else if (m.type == MessageType::pre_vote) {
            send(Message{.type = MessageType::pre_vote_resp, .to = m.from, .reject = true});
        }
        return false;
    }
    return true;
}

void Raft::step(const Message& m) {
    RAFT_ASSERT(m.to == cfg_.id, "a message is stepped into its addressee");
    if (!check_term(m)) return;
    dispatch(m);
}

void Raft::dispatch(const Message& m) {
    switch (m.type) {
        case MessageType::pre_vote:
        case MessageType::vote: handle_vote_request(m); break;
        case MessageType::pre_vote_resp:
        case MessageType::vote_resp: handle_vote_response(m); break;
        case MessageType::append: handle_append(m); break;
        case MessageType::append_resp: handle_append_response(m); break;
        case MessageType::heartbeat: handle_heartbeat(m); break;
        case MessageType::heartbeat_resp: handle_heartbeat_response(m); break;
        case MessageType::install_snapshot: handle_install_snapshot(m); break;
        case MessageType::install_snapshot_resp: handle_install_snapshot_response(m); break;
        case MessageType::timeout_now: handle_timeout_now(m); break;
        case MessageType::read_index: handle_read_index(m); break;
        case MessageType::read_index_resp: handle_read_index_response(m); break;
    }
}

void Raft::set_term(Term t) {
    RAFT_ASSERT(t > term_, "the term never goes back");
    term_ = t;
    vote_ = no_node;
}

void Raft::release_uncommitted() {
    const Index done = std::min(commit_, stable_);
    while (!uncommitted_.empty() && uncommitted_.front().first <= done) {
        uncommitted_bytes_ -= uncommitted_.front().second;
        uncommitted_.pop_front();
    }
}

void Raft::commit_to(Index i) {
    if (i <= commit_) return;  // the commit index never goes back
    RAFT_ASSERT(i <= log_.last_index(), "commit only what is in the log");
    commit_ = i;
    release_uncommitted();
    if (role_ == Role::leader) {
        release_reads_waiting_for_commit();
        forget_departed();
        maybe_step_down_after_removal();
    }
}

}  // namespace raftor::raft
