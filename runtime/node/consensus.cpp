#include "runtime/node/consensus.hpp"

#include <algorithm>
#include <cstring>

namespace raftor::node {

namespace {
std::string context_of(Token t) {
    std::string s(sizeof t, '\0');
    std::memcpy(s.data(), &t, sizeof t);
    return s;
}
}  // namespace

const char* to_string(Outcome o) {
    switch (o) {
        case Outcome::done: return "done";
        case Outcome::not_leader: return "not leader";
        case Outcome::unknown: return "outcome unknown";
        case Outcome::invalid: return "invalid";
        case Outcome::conflict: return "conflict";
        case Outcome::refused: return "refused";
        case Outcome::no_space: return "no space";
        case Outcome::overloaded: return "overloaded";
    }
    return "?";
}

Consensus::Consensus(raft::Config cfg, raft::Restore restore) : core_(cfg, std::move(restore)) {
    last_term_ = core_.term();
}

Proposal Consensus::write(Token t, const state::KvCommand& cmd) {
    Proposal out;
    if (auto why = state::check_command(cmd)) {
        out.refused = Completion{.token = t, .outcome = Outcome::invalid, .detail = *why};
        return out;
    }
    return propose(t, state::encode_command(cmd));
}

Proposal Consensus::propose(Token t, std::string payload) {
    Proposal out;
    auto p = core_.propose(std::move(payload));
    if (p.error == raft::Error::backlogged) {
        out.refused = Completion{.token = t,
                                 .outcome = Outcome::overloaded,
                                 .detail = "the leader holds " + std::to_string(core_.uncommitted_bytes()) +
                                           " bytes of writes a quorum has not stored yet (the limit is " +
                                           std::to_string(core_.config().uncommitted_bytes_max) + "): retry shortly"};
        return out;
    }
    if (!p.ok()) {
        const raft::NodeId hint =
            p.error == raft::Error::transfer_in_progress ? core_.transfer_target() : core_.leader();
        out.refused = Completion{
            .token = t, .outcome = Outcome::not_leader, .leader_hint = hint, .detail = raft::to_string(p.error)};
        return out;
    }
    out.index = p.index;
    out.term = p.term;
    return out;
}

Proposal Consensus::change_membership(Token t, raft::ConfChangeType type, raft::NodeId node, std::string context) {
    Proposal out;
    // minClusterSize: never fewer voters than that, whatever an operator asks. Checked by
    // the leader against its latest configuration (one change is in flight at a time).
    const auto& voters = core_.conf().voters;
    if (type == raft::ConfChangeType::remove_voter && core_.role() == raft::Role::leader &&
        std::find(voters.begin(), voters.end(), node) != voters.end() && voters.size() - 1 < min_voters_) {
        out.refused = Completion{.token = t,
                                 .outcome = Outcome::refused,
                                 .detail = "removing it would leave " + std::to_string(voters.size() - 1) +
                                           " voters, fewer than raft.minClusterSize (" + std::to_string(min_voters_) +
                                           "): add a member first, or lower raft.minClusterSize"};
        return out;
    }
    auto p = core_.propose_conf_change(type, node, std::move(context));
    if (p.ok()) {
        out.index = p.index;
        out.term = p.term;
        return out;
    }
    Completion c{.token = t, .outcome = Outcome::conflict, .detail = raft::to_string(p.error)};
    switch (p.error) {
        case raft::Error::not_leader:
            c.outcome = Outcome::not_leader;
            c.leader_hint = core_.leader();
            break;
        case raft::Error::invalid_conf_change: c.outcome = Outcome::invalid; break;
        case raft::Error::learner_not_caught_up: {
            const raft::Progress* pr = core_.progress(node);
            c.detail = "the learner has " + std::to_string(pr ? pr->match : 0) + " of " +
                       std::to_string(core_.log().last_index()) +
                       " entries; it can be promoted once it has nearly all of them (retry)";
            break;
        }
        default: break;  // a change pending, a transfer, a new leader's first commit: retry soon
    }
    out.refused = std::move(c);
    return out;
}

std::optional<Completion> Consensus::read(Token t) {
    if (reads_.size() >= pending_reads_max)
        return Completion{.token = t,
                          .outcome = Outcome::overloaded,
                          .detail = std::to_string(reads_.size()) +
                                    " linearizable reads already wait for a read index here: retry shortly"};
    const std::string ctx = context_of(t);
    if (core_.read_index(ctx) != raft::Error::none)
        return Completion{.token = t, .outcome = Outcome::not_leader, .leader_hint = core_.leader()};
    reads_.emplace(ctx, t);
    return std::nullopt;
}

std::optional<raft::Snapshot> Consensus::compact(raft::Index index, std::shared_ptr<const std::string> data) {
    // Refused when a newer snapshot (say, one from the leader) already covers `index`.
    if (core_.compact(index, std::move(data)) != raft::Error::none) return std::nullopt;
    return core_.snapshot();
}

raft::NodeId Consensus::hand_over() {
    if (core_.role() != raft::Role::leader) return raft::no_node;
    raft::NodeId best = raft::no_node;
    raft::Index best_match = 0;
    for (raft::NodeId id : core_.conf().voters) {
        const raft::Progress* pr = core_.progress(id);
        if (id == core_.id() || !pr) continue;
        if (best == raft::no_node || pr->match > best_match) best = id, best_match = pr->match;
    }
    if (best == raft::no_node || core_.transfer_leadership(best) != raft::Error::none) return raft::no_node;
    return best;
}

Actions Consensus::advance() {
    Actions a;
    a.ready = core_.ready();
    for (auto& rs : a.ready.read_states) {
        auto it = reads_.find(rs.context);
        if (it == reads_.end()) continue;
        a.reads.push_back(ReadAt{it->second, rs.index});
        reads_.erase(it);
    }
    // A leader that lost its role (or anyone whose term moved) cannot vouch for pending work.
    if (core_.term() != last_term_ || (last_role_ == raft::Role::leader && core_.role() != raft::Role::leader)) {
        // Every write proposed so far, this term's too: a leader that stepped down in
        // its own term (check-quorum) cannot lead that term again.
        a.abandon_before = core_.term() + 1;
        // Reads still waiting for a read index will never get one from the old leader.
        for (auto& [ctx, token] : reads_)
            completions_.push_back(Completion{.token = token,
                                              .outcome = Outcome::not_leader,
                                              .leader_hint = core_.leader(),
                                              .detail = "leadership changed"});
        reads_.clear();
    }
    last_term_ = core_.term();
    last_role_ = core_.role();
    a.completions = std::move(completions_);
    completions_.clear();
    return a;
}

}  // namespace raftor::node
