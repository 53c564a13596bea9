// Leader election (dissertation 3.4), pre-vote and check-quorum (9.6).
#include "runtime/common/mutation.hpp"
#include "runtime/raft/assert.hpp"
#include "runtime/raft/raft.hpp"

namespace raftor::raft {

void Raft::reset_timers() {
    election_elapsed_ = 0;
    heartbeat_elapsed_ = 0;
    // Section 3.4: randomized timeouts make split votes rare.
    randomized_election_ticks_ =
        cfg_.election_ticks + static_cast<int>(rng_.below(static_cast<std::uint64_t>(cfg_.election_ticks)));
}

bool Raft::in_lease() const {
    return cfg_.check_quorum && leader_ != no_node && election_elapsed_ < cfg_.election_ticks;
}

void Raft::tick_election() {
    ++election_elapsed_;
    if (promotable() && election_elapsed_ >= randomized_election_ticks_) {
        election_elapsed_ = 0;
        start_election(false);
    }
}

void Raft::tick_heartbeat() {
    ++heartbeat_elapsed_;
    ++election_elapsed_;
    if (election_elapsed_ >= cfg_.election_ticks) {
        election_elapsed_ = 0;
        if (cfg_.check_quorum) check_quorum_active();
        if (role_ != Role::leader) return;
    }
    // Section 3.10: a transfer that did not finish within an election timeout is abandoned.
    if (lead_transferee_ != no_node && ++transfer_elapsed_ >= cfg_.election_ticks) abort_transfer();
    if (heartbeat_elapsed_ >= cfg_.heartbeat_ticks) {
        heartbeat_elapsed_ = 0;
        broadcast_periodic_heartbeat();
    }
}

// Section 6.2: a leader that cannot reach a majority within an election timeout
// steps down, so clients find the real leader and lease reads stay safe.
void Raft::check_quorum_active() {
    std::size_t active = 0;
    for (NodeId v : conf_.voters) {
        if (v == cfg_.id) {
            ++active;
            continue;
        }
        auto it = progress_.find(v);
        if (it != progress_.end() && it->second.recent_active) ++active;
    }
    for (auto& [id, pr] : progress_) pr.recent_active = false;
    if (active < conf_.quorum()) become_follower(term_, no_node);
}

void Raft::campaign() {
    if (promotable() && role_ != Role::leader) start_election(false);
}

void Raft::start_election(bool transfer) {
    // Section 9.6: a pre-vote round first, so a partitioned server rejoining does
    // not disrupt the cluster by bumping the term. A transfer skips it.
    if (cfg_.pre_vote && !transfer)
        run_pre_vote();
    else
        run_vote(transfer);
}

void Raft::run_pre_vote() {
    become_pre_candidate();
    for (NodeId v : conf_.voters) {
        if (v == cfg_.id) continue;
        send(Message{.type = MessageType::pre_vote,
                     .to = v,
                     .term = term_ + 1,
                     .log_term = log_.last_term(),
                     .index = log_.last_index()});
    }
    votes_[cfg_.id] = true;  // a pre-vote changes nothing durable
    if (votes_.size() >= conf_.quorum()) run_vote(false);
}

void Raft::run_vote(bool transfer) {
    become_candidate();
    for (NodeId v : conf_.voters) {
        if (v == cfg_.id) continue;
        send(Message{.type = MessageType::vote,
                     .to = v,
                     .log_term = log_.last_term(),
                     .index = log_.last_index(),
                     .transfer = transfer});
    }
    // Our own vote counts only once it is durable, like anyone else's.
    deliver_to_self(Message{.type = MessageType::vote_resp});
}

void Raft::become_follower(Term t, NodeId leader) {
    if (t > term_) set_term(t);
    role_ = Role::follower;
    leader_ = leader;
    votes_.clear();
    progress_.clear();
    reads_.clear();
    uncommitted_.clear();  // a follower proposes nothing; a new term's leader starts from none
    uncommitted_bytes_ = 0;
    reads_waiting_commit_.clear();
    lead_transferee_ = no_node;
    broadcast_pending_ = false;
    commit_broadcast_pending_ = false;
    reset_timers();
}

void Raft::become_pre_candidate() {
    RAFT_ASSERT(role_ != Role::leader, "a leader does not pre-campaign");
    role_ = Role::pre_candidate;
    leader_ = no_node;
    votes_.clear();
    reset_timers();
}

void Raft::become_candidate() {
    RAFT_ASSERT(role_ != Role::leader, "a leader does not campaign");
    set_term(term_ + 1);
    vote_ = cfg_.id;
    role_ = Role::candidate;
    leader_ = no_node;
    votes_.clear();
    reset_timers();
}

void Raft::become_leader() {
    RAFT_ASSERT(role_ == Role::candidate, "only a candidate becomes leader");
    RAFT_ASSERT(vote_ == cfg_.id, "a leader voted for itself");
    role_ = Role::leader;
    leader_ = cfg_.id;
    votes_.clear();
    reset_timers();
    progress_.clear();
    for (NodeId id : conf_.voters) progress_.emplace(id, new_progress());
    for (NodeId id : conf_.learners) progress_.emplace(id, new_progress());
    if (auto it = progress_.find(cfg_.id); it != progress_.end()) {
        it->second.match = stable_;
        it->second.become_replicate();
        it->second.recent_active = true;
    }
    // Section 3.6.2 / 6.4: a no-op commits the entries of earlier terms and lets
    // ReadIndex know the commit index is current.
    append_entry(Entry{.term = term_, .index = log_.last_index() + 1, .type = EntryType::noop});
    broadcast_pending_ = true;
}

void Raft::handle_vote_request(const Message& m) {
    const bool pre = m.type == MessageType::pre_vote;
    // Section 3.6.1: grant only to a log at least as up to date as ours.
    const bool can_vote = vote_ == m.from || (vote_ == no_node && leader_ == no_node) || (pre && m.term > term_) ||
                          (RAFTOR_MUTATED(double_vote) && !pre && role_ == Role::follower);
    const bool grant = can_vote && log_.is_up_to_date(m.index, m.log_term);
    const MessageType resp = pre ? MessageType::pre_vote_resp : MessageType::vote_resp;
    if (!grant) {
        send(Message{.type = resp, .to = m.from, .reject = true});
        return;
    }
    if (pre) {
        // Answer in the requester's future term so it counts the grant.
        send(Message{.type = resp, .to = m.from, .term = m.term});
        return;
    }
    RAFT_ASSERT(m.term == term_, "a vote is given in the current term");
    RAFT_ASSERT(vote_ == no_node || vote_ == m.from || RAFTOR_MUTATED(double_vote), "one vote per term");
    vote_ = m.from;
    election_elapsed_ = 0;
    send_after_persist(Message{.type = resp, .to = m.from});
}

void Raft::handle_vote_response(const Message& m) {
    const bool pre = m.type == MessageType::pre_vote_resp;
    if (pre ? role_ != Role::pre_candidate : role_ != Role::candidate) return;
    if (pre && !m.reject && m.term != term_ + 1) return;  // a grant for an older pre-vote round
    if (!conf_.is_voter(m.from)) return;
    votes_.emplace(m.from, !m.reject);
    std::size_t granted = 0, rejected = 0;
    for (const auto& [id, g] : votes_) (g ? granted : rejected)++;
    if (granted >= conf_.quorum()) {
        if (pre)
            run_vote(false);
        else
            become_leader();
    } else if (rejected > conf_.voters.size() - conf_.quorum()) {
        become_follower(term_, no_node);
    }
}

}  // namespace raftor::raft
