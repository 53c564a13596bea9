// Leadership transfer (dissertation 3.10): catch the target up, then TimeoutNow.
#include "runtime/raft/raft.hpp"

namespace raftor::raft {

Error Raft::transfer_leadership(NodeId to) {
    if (role_ != Role::leader) return Error::not_leader;
    if (to == cfg_.id || !conf_.is_voter(to)) return Error::invalid_conf_change;
    if (lead_transferee_ == to) return Error::none;  // already under way
    lead_transferee_ = to;
    transfer_elapsed_ = 0;
    // New proposals are refused from now on, so the target can catch up for good.
    maybe_send_timeout_now(to);
    if (lead_transferee_ == to) send_append(to, true);
    return Error::none;
}

void Raft::maybe_send_timeout_now(NodeId to) {
    const Progress* pr = progress(to);
    if (pr == nullptr || pr->match != log_.last_index()) return;
    send(Message{.type = MessageType::timeout_now, .to = to});
}

void Raft::abort_transfer() {
    lead_transferee_ = no_node;
    transfer_elapsed_ = 0;
}

void Raft::handle_timeout_now(const Message& m) {
    // Only the leader of our term sends this (the term was checked on the way in),
    // even if we have not heard from it yet - a restarted follower, say. Skip pre-vote
    // and the lease check.
    (void)m;
    if (!promotable()) return;
    run_vote(true);
}

}  // namespace raftor::raft
