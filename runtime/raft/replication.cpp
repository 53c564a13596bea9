// Log replication (dissertation 3.5), the commit rule (3.6.2), batching and
// pipelining (10.2), fast backtracking with conflict hints (3.5, end).
#include <algorithm>

#include "runtime/common/mutation.hpp"
#include "runtime/raft/assert.hpp"
#include "runtime/raft/conf_change_codec.hpp"
#include "runtime/raft/raft.hpp"

namespace raftor::raft {

// Every entry enters the log here, on leaders and followers alike.
void Raft::append_entry(Entry e) {
    const Index i = e.index;
    if (e.type == EntryType::conf_change) {
        auto cc = decode_conf_change(e.payload);
        RAFT_ASSERT(cc.has_value(), "conf-change entries are validated before they reach the core");
        conf_entries_.emplace_back(i, cc->result);
    }
    log_.append(std::move(e));
    if (unissued_from_ == 0 || i < unissued_from_) unissued_from_ = i;
    if (!conf_entries_.empty() && conf_entries_.back().first == i) apply_conf(conf_entries_.back().second);
}

Proposed Raft::propose(std::string payload) {
    if (role_ != Role::leader) return {Error::not_leader};
    if (lead_transferee_ != no_node) return {Error::transfer_in_progress};
    Entry e{.term = term_, .index = log_.last_index() + 1, .type = EntryType::normal, .payload = std::move(payload)};
    const Index i = e.index;
    const std::size_t bytes = e.size_bytes();
    if (cfg_.uncommitted_bytes_max != 0 && uncommitted_bytes_ != 0 &&
        uncommitted_bytes_ + bytes > cfg_.uncommitted_bytes_max)
        return {Error::backlogged};
    append_entry(std::move(e));
    uncommitted_.emplace_back(i, bytes);
    uncommitted_bytes_ += bytes;
    broadcast_pending_ = true;
    return {Error::none, i, term_};
}

// Appends are sent lazily, once per ready(), so that proposals made in between
// share messages (batching) while each follower's window bounds what is in flight.
// A new commit index rides on them; it does not get messages of its own here.
void Raft::flush_appends() {
    for (auto& [id, pr] : progress_) {
        if (id == cfg_.id) continue;
        while (pr.next <= log_.last_index() && send_append(id, false)) {
        }
    }
}

// Once per tick, a follower that no append told of the latest commit index is sent an
// empty append that does. An empty append for every commit was one message per write
// per follower on top of the entries; followers now apply at most a tick later.
void Raft::spread_commit() {
    if (!commit_broadcast_pending_) return;
    commit_broadcast_pending_ = false;
    for (auto& [id, pr] : progress_)
        if (id != cfg_.id && pr.commit_sent < commit_) send_append(id, true);
}

bool Raft::send_append(NodeId to, bool allow_empty) {
    Progress& pr = progress_.at(to);
    if (pr.paused()) return false;
    const Index prev = pr.next - 1;
    const auto prev_term = log_.term_at(prev);
    if (!prev_term) {
        // Chapter 5: what the follower needs was compacted away.
        send_snapshot(to);
        return false;
    }
    if (pr.next < log_.cached_from() && pr.next <= log_.last_index()) {
        // Its entries left the cache: storage reads them back, one batch at a time.
        if (pr.fetching) return false;
        pr.fetching = true;
        const auto count = std::min<std::size_t>(cfg_.append_entries_max, log_.cached_from() - pr.next);
        fetches_.push_back(Fetch{.to = to, .from = pr.next, .count = count, .bytes = cfg_.append_bytes_max});
        return false;
    }
    auto ents = log_.slice(pr.next, cfg_.append_entries_max, cfg_.append_bytes_max);
    if (ents.empty() && !allow_empty) return false;
    send_entries(to, prev, *prev_term, std::move(ents));
    return true;
}

void Raft::send_entries(NodeId to, Index prev, Term prev_term, std::vector<Entry> ents) {
    Progress& pr = progress_.at(to);
    const Index last = ents.empty() ? prev : ents.back().index;
    const std::size_t bytes = size_bytes(ents);
    send(Message{.type = MessageType::append,
                 .to = to,
                 .log_term = prev_term,
                 .index = prev,
                 .entries = std::move(ents),
                 .commit = commit_});
    if (last > prev || pr.state == ProgressState::probe) pr.sent_entries(last, bytes);
    pr.commit_sent = std::max(pr.commit_sent, commit_);
}

void Raft::on_fetched(NodeId to, Index from, std::vector<Entry> entries) {
    if (to == cfg_.id) return on_fetched_to_apply(from, std::move(entries));
    if (role_ != Role::leader) return;
    auto it = progress_.find(to);
    if (it == progress_.end() || !it->second.fetching) return;
    Progress& pr = it->second;
    // Storage could not read them (it says why in its log): asked again at the next
    // heartbeat interval, not in a loop.
    if (entries.empty()) return;
    pr.fetching = false;
    broadcast_pending_ = true;  // what the cache holds, or another fetch, follows at ready()
    // Only what the follower still waits for, and only entries this log still holds:
    // the log may have moved on (a snapshot, a probe backing off) while storage read.
    if (from != pr.next || pr.paused()) return;
    const auto prev_term = log_.term_at(from - 1);
    if (!prev_term) return;
    for (std::size_t k = 0; k < entries.size(); ++k)
        if (entries[k].index != from + k || log_.term_at(entries[k].index) != entries[k].term) {
            entries.resize(k);
            break;
        }
    if (entries.empty()) return;
    send_entries(to, from - 1, *prev_term, std::move(entries));
}

void Raft::send_window_check(NodeId to) {
    Progress& pr = progress_.at(to);
    const Index prev = pr.next - 1;
    const auto prev_term = log_.term_at(prev);
    if (!prev_term) {
        send_snapshot(to);  // what it may lack was compacted away
        return;
    }
    send(Message{.type = MessageType::append,
                 .to = to,
                 .log_term = *prev_term,
                 .index = prev,
                 .commit = std::min(prev, commit_)});
    pr.commit_sent = std::max(pr.commit_sent, std::min(prev, commit_));
}

void Raft::send_heartbeat(NodeId to) {
    Progress& pr = progress_.at(to);
    // Never let a follower commit past what it is known to hold (etcd).
    const Index commit = std::min(pr.match, commit_);
    send(Message{.type = MessageType::heartbeat, .to = to, .commit = commit, .read_seq = read_seq_});
    pr.commit_sent = std::max(pr.commit_sent, commit);
}

void Raft::broadcast_heartbeat() {
    for (const auto& [id, pr] : progress_)
        if (id != cfg_.id) send_heartbeat(id);
}

void Raft::broadcast_periodic_heartbeat() {
    for (auto& [id, pr] : progress_) {
        pr.may_resume = true;
        if (pr.fetching) {  // a read that failed, or was lost with its actor, is asked again
            pr.fetching = false;
            broadcast_pending_ = true;
        }
    }
    broadcast_heartbeat();
}

// Section 3.6.2: commit the highest index stored on a quorum of voters, but only
// by counting replicas of an entry of the current term (Figure 3.7).
bool Raft::maybe_commit() {
    std::vector<Index> matches;
    for (NodeId v : conf_.voters) {
        auto it = progress_.find(v);
        matches.push_back(it == progress_.end() ? 0 : it->second.match);
    }
    if (matches.empty()) return false;
    std::sort(matches.begin(), matches.end(), std::greater<>());
    const std::size_t quorum = conf_.quorum() - (RAFTOR_MUTATED(commit_minority) && conf_.quorum() > 1 ? 1 : 0);
    const Index n = matches[quorum - 1];
    if (n <= commit_ || (log_.term_at(n) != term_ && !RAFTOR_MUTATED(commit_by_counting))) return false;
    commit_to(n);
    // Committing our own removal steps us down (section 4.2.2): then there is no
    // new commit index for us to spread.
    return role_ == Role::leader;
}

void Raft::leader_stable_advanced() {
    if (auto it = progress_.find(cfg_.id); it != progress_.end()) it->second.maybe_update(stable_);
    if (maybe_commit()) broadcast_pending_ = commit_broadcast_pending_ = true;
}

void Raft::handle_append(const Message& m) {
    RAFT_ASSERT(role_ != Role::leader, "at most one leader per term");
    if (role_ != Role::follower) become_follower(term_, m.from);
    leader_ = m.from;
    election_elapsed_ = 0;
    answer_read_round(m);
    if (m.index < commit_) {
        // Everything up to commit is already here and matches (Log Matching).
        send_after_persist(Message{.type = MessageType::append_resp, .to = m.from, .index = commit_});
        return;
    }
    if (!log_.matches(m.index, m.log_term)) {
        // Section 3.5: tell the leader where our log diverges so it skips a whole
        // term per round trip instead of one entry.
        Message r{.type = MessageType::append_resp, .to = m.from, .index = m.index, .reject = true};
        if (m.index > log_.last_index()) {
            r.reject_hint = log_.last_index() + 1;
        } else {
            r.conflict_term = *log_.term_at(m.index);
            r.reject_hint = log_.first_index_of_term_at(m.index);
        }
        send(std::move(r));
        return;
    }
    for (const Entry& e : m.entries) {
        const auto t = log_.term_at(e.index);
        if (t == e.term) continue;
        if (t) {
            RAFT_ASSERT(e.index > commit_, "a committed entry is never overwritten");
            RAFT_ASSERT(role_ != Role::leader, "a leader never overwrites its log");
            log_.truncate_from(e.index);
            stable_ = std::min(stable_, e.index - 1);
            rebuild_conf();
        }
        append_entry(e);
    }
    const Index last_new = m.index + m.entries.size();
    commit_to(std::min(m.commit, last_new));
    Message ack{.type = MessageType::append_resp, .to = m.from, .index = last_new};
    if (RAFTOR_MUTATED(ack_before_durable))
        send(std::move(ack));
    else
        send_after_persist(std::move(ack));
}

void Raft::handle_append_response(const Message& m) {
    if (role_ != Role::leader) return;
    auto it = progress_.find(m.from);
    if (it == progress_.end()) return;
    Progress& pr = it->second;
    pr.recent_active = true;
    if (m.reject) {
        // Stale rejections: of an index we know matches, or of a probe we no longer wait on.
        if (m.index <= pr.match) return;
        if (pr.state == ProgressState::probe && m.index != pr.next - 1) return;
        if (pr.state == ProgressState::snapshot) return;
        Index next = m.reject_hint;
        if (m.conflict_term != 0) {
            const Index ours = log_.last_index_of_term(m.conflict_term);
            if (ours != 0) next = ours + 1;
        }
        next = std::clamp<Index>(next, pr.match + 1, m.index);
        pr.become_probe();
        pr.next = next;
        send_append(m.from, true);
        return;
    }
    const bool was_paused = pr.paused();
    if (!pr.maybe_update(m.index)) {
        if (pr.state == ProgressState::replicate) pr.inflights.free_to(m.index);
        if (was_paused) send_append(m.from, false);
        return;
    }
    switch (pr.state) {
        case ProgressState::probe: pr.become_replicate(); break;
        case ProgressState::snapshot:
            if (pr.match >= pr.snapshot.meta.index) pr.become_probe();
            break;
        case ProgressState::replicate: pr.inflights.free_to(m.index); break;
    }
    if (maybe_commit()) {
        broadcast_pending_ = commit_broadcast_pending_ = true;
    } else if (role_ != Role::leader) {
        return;  // stepped down while committing
    } else if (was_paused) {
        // It may have missed a commit index broadcast while it was paused (etcd).
        send_append(m.from, true);
    }
    while (send_append(m.from, false)) {
    }
    if (m.from == lead_transferee_) maybe_send_timeout_now(m.from);
}

void Raft::handle_heartbeat(const Message& m) {
    RAFT_ASSERT(role_ != Role::leader, "at most one leader per term");
    if (role_ != Role::follower) become_follower(term_, m.from);
    leader_ = m.from;
    election_elapsed_ = 0;
    commit_to(std::min(m.commit, log_.last_index()));
    note_read_round(m);  // answered here: an append of the same round needs no answer of its own
    send(Message{.type = MessageType::heartbeat_resp, .to = m.from, .read_seq = m.read_seq});
}

void Raft::handle_heartbeat_response(const Message& m) {
    if (role_ != Role::leader) return;
    auto it = progress_.find(m.from);
    if (it == progress_.end()) return;
    Progress& pr = it->second;
    pr.recent_active = true;
    // Once per heartbeat interval, restart what may have been lost. Every answer of a
    // read's round doing it was a resend storm: a returning follower got the same probe
    // (up to append_bytes_max) or snapshot chunk once per read while it was catching up.
    if (pr.may_resume) {
        pr.may_resume = false;
        pr.probe_sent = false;
        if (pr.state == ProgressState::replicate && pr.inflights.full()) {
            // A full window whose appends were lost would never drain. Ask with an empty
            // append after the last entry sent: a follower that has them acknowledges it,
            // one that lost some rejects it and is probed from where it is. Sending more
            // entries instead (etcd frees a slot) sends them into the gap to be rejected.
            send_window_check(m.from);
        } else if (pr.state == ProgressState::snapshot) {
            // A chunk unanswered for a whole interval is resent from what was confirmed.
            if (!pr.snapshot_progressed) send_snapshot_chunk(m.from, pr);
            pr.snapshot_progressed = false;
        } else if (pr.match < log_.last_index() || pr.state == ProgressState::probe) {
            send_append(m.from, true);
        }
    }
    if (m.read_seq > pr.read_acked) {
        pr.read_acked = m.read_seq;
        advance_reads();
    }
    // A TimeoutNow is sent once and may be lost (a reconnecting link): repeat it while
    // the transfer lasts and the target is caught up (3.10).
    if (m.from == lead_transferee_) maybe_send_timeout_now(m.from);
}

}  // namespace raftor::raft
