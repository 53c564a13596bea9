// Linearizable reads without writing to the log (dissertation 6.4): the leader
// records its commit index, confirms it is still leader with a heartbeat round,
// and the read is served once the state machine has applied up to that index.
#include <algorithm>

#include "runtime/common/mutation.hpp"
#include "runtime/raft/assert.hpp"
#include "runtime/raft/raft.hpp"

namespace raftor::raft {

Error Raft::read_index(std::string context) {
    if (role_ == Role::leader) {
        handle_read_request(std::move(context), cfg_.id);
        return Error::none;
    }
    if (leader_ == no_node) return Error::no_leader;
    send(Message{.type = MessageType::read_index, .to = leader_, .read_context = std::move(context)});
    return Error::none;
}

void Raft::handle_read_index(const Message& m) {
    if (role_ != Role::leader) return;  // the requester times out and retries
    handle_read_request(m.read_context, m.from);
}

void Raft::handle_read_index_response(const Message& m) {
    if (m.from != leader_) return;
    // The leader's commit index, bounded by what it knows we hold (as a heartbeat's): the
    // read waits for it to apply, so it is needed now rather than at the next tick.
    commit_to(std::min(m.commit, log_.last_index()));
    read_states_.push_back(ReadState{m.index, m.read_context});
}

void Raft::handle_read_request(std::string context, NodeId requester) {
    // Step 1 of 6.4: until the no-op of this term commits, the commit index may be stale.
    if (!committed_in_term()) {
        reads_waiting_commit_.emplace_back(std::move(context), requester);
        return;
    }
    if (conf_.voters.size() == 1 && conf_.is_voter(cfg_.id)) {
        release_read(commit_, std::move(context), requester);
        return;
    }
    // Section 6.4.1: with a lease (check-quorum keeps it), skip the heartbeat round.
    if ((cfg_.lease_read && cfg_.check_quorum) || RAFTOR_MUTATED(read_without_confirm)) {
        release_read(commit_, std::move(context), requester);
        return;
    }
    // One heartbeat round in flight, as etcd's linearizable read loop: reads that arrive
    // meanwhile wait for the next round, which starts when this one is confirmed. A round
    // per read made the heartbeats, and what their answers set off, grow with the read rate.
    const bool round_out = !reads_.empty() && reads_.front().seq <= read_seq_;
    reads_.push_back(PendingRead{read_seq_ + 1, commit_, std::move(context), requester});
    if (!round_out) start_read_round();
}

// The round goes out at the next ready(), on what leaves then (carry_read_round).
void Raft::start_read_round() {
    ++read_seq_;
    read_round_unsent_ = true;
}

// A new round goes to as many voters as a quorum needs, those that confirmed the latest
// rounds first, on what leaves for them now: an append or heartbeat sent after the
// round's reads arrived confirms it when answered, as a round's own heartbeat would.
// Only voters that get neither get a heartbeat. Under writes, reads then cost the
// followers an answer and no message of their own, and a round costs a quorum's
// messages, not every voter's. A round a tick leaves unconfirmed goes to every voter
// then (widen_read_round): a chosen follower may be slow or gone.
void Raft::carry_read_round() {
    if (role_ != Role::leader || !read_round_unsent_) return;
    read_round_unsent_ = false;
    std::size_t acks = conf_.is_voter(cfg_.id) ? 1 : 0;
    auto carrier = [](const Message& m, NodeId v) {
        return m.to == v && (m.type == MessageType::append || m.type == MessageType::heartbeat);
    };
    std::vector<std::tuple<bool, std::uint64_t, NodeId>> voters;  // (a message leaves for it, round confirmed, id)
    for (NodeId v : conf_.voters) {
        const Progress* pr = progress(v);
        if (v == cfg_.id || pr == nullptr) continue;
        const bool leaving = std::any_of(msgs_.begin(), msgs_.end(), [&](const Message& m) { return carrier(m, v); });
        voters.emplace_back(leaving, pr->read_acked, v);
    }
    std::sort(voters.begin(), voters.end(), std::greater<>());
    for (const auto& [leaving, acked, v] : voters) {
        if (acks >= conf_.quorum()) break;
        ++acks;
        if (!leaving) {
            send_heartbeat(v);
            continue;
        }
        for (Message& m : msgs_)
            if (carrier(m, v)) m.read_seq = read_seq_;
    }
}

void Raft::widen_read_round() {
    if (reads_.empty() || read_round_unsent_ || reads_.front().seq > read_seq_ || read_round_widened_ >= read_seq_)
        return;
    read_round_widened_ = read_seq_;
    for (NodeId v : conf_.voters)
        if (const Progress* pr = progress(v); v != cfg_.id && pr != nullptr && pr->read_acked < read_seq_)
            send_heartbeat(v);
}

// Follower: a round that came on an append is answered at once, as a heartbeat's: the
// append's own answer waits for the fsync, a read must not. Once per round.
void Raft::answer_read_round(const Message& m) {
    if (note_read_round(m)) send(Message{.type = MessageType::heartbeat_resp, .to = m.from, .read_seq = m.read_seq});
}

// Whether `m` carries a round this follower has not answered yet; it is answered now.
bool Raft::note_read_round(const Message& m) {
    if (m.read_seq == 0 || (m.term == read_round_term_ && m.read_seq <= read_round_answered_)) return false;
    read_round_term_ = m.term;
    read_round_answered_ = m.read_seq;
    return true;
}

void Raft::release_read(Index index, std::string context, NodeId requester) {
    if (requester == cfg_.id) {
        read_states_.push_back(ReadState{index, std::move(context)});
    } else {
        // The requester serves the read once it applied `index`: the answer carries the
        // commit index, as a heartbeat would, so it need not wait for the next tick.
        Index commit = 0;
        if (auto it = progress_.find(requester); role_ == Role::leader && it != progress_.end()) {
            commit = std::min(it->second.match, commit_);
            it->second.commit_sent = std::max(it->second.commit_sent, commit);
        }
        send(Message{.type = MessageType::read_index_resp,
                     .to = requester,
                     .index = index,
                     .commit = commit,
                     .read_context = std::move(context)});
    }
}

// A round is confirmed once a quorum of voters (we count) echoed its sequence or a later one.
void Raft::advance_reads() {
    if (role_ != Role::leader) return;
    while (!reads_.empty()) {
        const std::uint64_t seq = reads_.front().seq;
        std::size_t acks = 0;
        for (NodeId v : conf_.voters) {
            if (v == cfg_.id) {
                ++acks;
                continue;
            }
            const Progress* pr = progress(v);
            if (pr != nullptr && pr->read_acked >= seq) ++acks;
        }
        if (acks < conf_.quorum()) return;
        PendingRead r = std::move(reads_.front());
        reads_.pop_front();
        release_read(r.index, std::move(r.context), r.requester);
        // The round is confirmed: the reads that waited for the next one start it.
        if (!reads_.empty() && reads_.front().seq > read_seq_) start_read_round();
    }
}

void Raft::release_reads_waiting_for_commit() {
    if (reads_waiting_commit_.empty() || !committed_in_term()) return;
    auto waiting = std::move(reads_waiting_commit_);
    reads_waiting_commit_.clear();
    for (auto& [ctx, requester] : waiting) handle_read_request(std::move(ctx), requester);
}

}  // namespace raftor::raft
