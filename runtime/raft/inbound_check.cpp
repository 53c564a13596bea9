#include "runtime/raft/inbound_check.hpp"

#include <limits>

namespace raftor::raft {

const char* to_string(Refusal r) {
    switch (r) {
        case Refusal::none: return "none";
        case Refusal::undecodable: return "undecodable";
        case Refusal::misaddressed: return "misaddressed";
        case Refusal::sender_mismatch: return "sender_mismatch";
        case Refusal::not_a_member: return "not_a_member";
        case Refusal::term_out_of_range: return "term_out_of_range";
        case Refusal::leader_conflict: return "leader_conflict";
        case Refusal::bad_entries: return "bad_entries";
        case Refusal::bad_snapshot: return "bad_snapshot";
    }
    return "?";
}

namespace {

bool from_leader(MessageType t) {
    return t == MessageType::append || t == MessageType::heartbeat || t == MessageType::install_snapshot ||
           t == MessageType::timeout_now;
}

Refusal check_entries(const Message& m) {
    if (m.entries.size() > std::numeric_limits<Index>::max() - m.index) return Refusal::bad_entries;
    Term prev = m.log_term;
    for (std::size_t i = 0; i < m.entries.size(); ++i) {
        const Entry& e = m.entries[i];
        if (e.index != m.index + 1 + i) return Refusal::bad_entries;
        if (e.term > m.term) return Refusal::term_out_of_range;
        if (e.term < prev) return Refusal::bad_entries;  // terms in a log never decrease
        if (e.type != EntryType::normal && e.type != EntryType::conf_change && e.type != EntryType::noop)
            return Refusal::bad_entries;
        prev = e.term;
    }
    return Refusal::none;
}

Refusal check_snapshot(const Message& m, const InboundLimits& limits) {
    const SnapshotMeta& s = m.snapshot;
    if (s.term > m.term) return Refusal::term_out_of_range;
    if (s.index == 0 || s.term == 0 || s.size > limits.snapshot_bytes_max) return Refusal::bad_snapshot;
    if (s.conf.voters.empty()) return Refusal::bad_snapshot;
    if (m.chunk.size() > limits.chunk_bytes_max) return Refusal::bad_snapshot;
    if (m.chunk_offset > s.size || m.chunk.size() > s.size - m.chunk_offset) return Refusal::bad_snapshot;
    return Refusal::none;
}

}  // namespace

Refusal check_inbound(const Raft& core, NodeId sender, const Message& m, const InboundLimits& limits) {
    if (m.to != core.id()) return Refusal::misaddressed;
    if (m.from != sender || m.from == no_node || m.from == core.id()) return Refusal::sender_mismatch;
    // A node outside the configuration (joining, or removed) takes the leader's word
    // that it belongs (dissertation 4.1): the transport has authenticated the sender.
    // A sender the committed configuration still holds is heard too: a change that left
    // it out may be uncommitted, and that sender may be the leader who overwrites it.
    // Refusing it kept a follower deaf to its leader for good (found by the simulator:
    // an operator's removal of the leader, appended on one follower, lost with its term).
    if (core.conf().is_member(core.id()) && !core.conf().is_member(m.from) && !core.committed_member(m.from))
        return Refusal::not_a_member;
    if (m.term > term_max || m.log_term > term_max) return Refusal::term_out_of_range;
    switch (m.type) {
        case MessageType::pre_vote:
        case MessageType::vote:
        case MessageType::append:
            // A candidate's last entry, or the entry before an append, is never from a later term.
            if (m.log_term > m.term) return Refusal::term_out_of_range;
            break;
        default: break;
    }
    // Only the leader of a term sends these; while we lead this term, that is us.
    if (from_leader(m.type) && m.term == core.term() && core.role() == Role::leader) return Refusal::leader_conflict;
    if (m.type == MessageType::append) {
        if (auto r = check_entries(m); r != Refusal::none) return r;
    } else if (!m.entries.empty()) {
        return Refusal::bad_entries;
    }
    if (m.type == MessageType::install_snapshot) return check_snapshot(m, limits);
    return Refusal::none;
}

}  // namespace raftor::raft
