// Linearizable reads without writing to the log (dissertation 6.4): the leader
// records its commit index, confirms it is still leader with a heartbeat round,
// and the read is served once the state machine has applied up to that index.
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
    if ((cfg_.lease_read && cfg_.check_quorum) || cfg_.bugs.read_without_confirm) {
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

void Raft::start_read_round() {
    ++read_seq_;
    broadcast_heartbeat();
}

void Raft::release_read(Index index, std::string context, NodeId requester) {
    if (requester == cfg_.id) {
        read_states_.push_back(ReadState{index, std::move(context)});
    } else {
        // The requester serves the read once it applied `index`: tell it the commit index
        // now, ahead of the answer on the same link, rather than at the next tick.
        if (auto it = progress_.find(requester);
            role_ == Role::leader && it != progress_.end() && it->second.commit_sent < index)
            send_append(requester, true);
        send(Message{
            .type = MessageType::read_index_resp, .to = requester, .index = index, .read_context = std::move(context)});
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
