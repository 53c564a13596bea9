#include "runtime/node/peer_core.hpp"

#include "runtime/raft/codec.hpp"

namespace raftor::node {

namespace {
template <class... F>
struct Overloaded : F... {
    using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;
}  // namespace

PeerCore::PeerCore(raft::Config cfg, raft::Restore restore, std::size_t min_voters,
                   std::function<std::string(raft::NodeId)> name_of)
    : cons_(std::move(cfg), std::move(restore)), name_of_(std::move(name_of)) {
    cons_.set_min_voters(min_voters);
}

Effects PeerCore::step(Input input) {
    Effects fx = std::visit(
        Overloaded{
            [&](in::Tick) {
                cons_.tick();
                return Effects{};
            },
            [&](in::Frame f) { return on(f); },
            [&](in::Persisted p) {
                cons_.persisted(p.id);
                return Effects{};
            },
            [&](in::Fetched f) {
                cons_.fetched(f.to, f.from, std::move(f.entries));
                return Effects{};
            },
            [&](in::Write w) { return propose([&](Token t) { return cons_.write(t, w.cmd); }); },
            [&](in::Propose p) { return propose([&](Token t) { return cons_.propose(t, std::move(p.payload)); }); },
            [&](in::ChangeMember c) {
                return propose(
                    [&](Token t) { return cons_.change_membership(t, c.type, c.node, std::move(c.context)); });
            },
            [&](in::Read) {
                Effects out;
                out.token = next_token_++;
                if (auto refused = cons_.read(out.token)) out.completions.push_back(std::move(*refused));
                return out;
            },
            [&](in::StorageFull s) {
                storage_full_ = s.full;
                storage_full_why_ = std::move(s.why);
                return Effects{};
            },
            [&](in::Drained d) {
                drained_ = d.on;
                return Effects{};
            },
            [&](in::Transfer t) { return on(t); },
            [&](in::StepDown s) { return on(s); },
            [&](in::Compact c) {
                Effects out;
                out.snapshot = cons_.compact(c.index, std::move(c.data));
                return out;
            },
            [&](in::Advance) {
                Effects out;
                out.actions = cons_.advance();
                return out;
            },
        },
        std::move(input));
    follow_up(fx);
    return fx;
}

Effects PeerCore::on(in::Frame f) {
    Effects out;
    std::string error;
    auto m = raft::decode_message(f.bytes, error);
    if (m && m->from == raft::no_node) {  // left out: the link names them
        m->from = f.sender;
        m->to = core().id();
    }
    const raft::Refusal why = m ? raft::check_inbound(core(), f.sender, *m) : raft::Refusal::undecodable;
    if (why != raft::Refusal::none) {
        // A bad frame never reaches the core.
        out.refused_frame = RefusedFrame{f.sender, why, m ? raft::to_string(m->type) : error};
        return out;
    }
    out.from_leader = m->from == core().leader();
    cons_.step(*m);
    return out;
}

// A write, proposal or membership change under a new token, refused while this
// leader's storage is full.
Effects PeerCore::propose(const std::function<Proposal(Token)>& make) {
    Effects out;
    out.token = next_token_++;
    if (!storage_full_ || core().role() != raft::Role::leader) {
        out.proposed = make(out.token);
        return out;
    }
    Proposal refused;
    refused.refused = Completion{.token = out.token,
                                 .outcome = Outcome::no_space,
                                 .detail = "the leader's storage is full: " + storage_full_why_};
    out.proposed = std::move(refused);
    return out;
}

Effects PeerCore::on(in::Transfer t) {
    Effects out;
    out.token = next_token_++;
    const auto& c = core();
    auto answer = [&](AdminResult r) {
        r.token = out.token;
        out.answers.push_back(std::move(r));
        return out;
    };
    if (c.role() != raft::Role::leader) return answer({.ok = false, .code = "not_leader", .leader = c.leader()});
    if (t.to == c.id())
        return answer({.ok = true,
                       .detail = name_of_(t.to) + " already leads",
                       .leader = t.to,
                       .term = c.term(),
                       .changed = false});
    raft::NodeId target = t.to;
    if (t.to == raft::no_node) {
        target = cons_.hand_over();
        if (target == raft::no_node)
            return answer(
                {.ok = false, .code = "no_target", .detail = "no other voter to hand leadership to", .leader = c.id()});
    } else if (auto e = cons_.transfer_leadership(t.to); e != raft::Error::none) {
        return answer({.ok = false,
                       .code = "no_target",
                       .detail = name_of_(t.to) + ": " + raft::to_string(e) +
                                 (c.conf().is_voter(t.to) ? "" : " (it is not a voter)"),
                       .leader = c.id()});
    }
    out.handovers.emplace_back(target, "operator");
    transfers_.push_back(out.token);
    return out;
}

Effects PeerCore::on(in::StepDown) {
    Effects out;
    out.token = next_token_++;
    const raft::NodeId to = cons_.hand_over();
    if (to == raft::no_node) {
        out.answers.push_back({.token = out.token, .ok = false, .code = "not_leading"});
        return out;
    }
    out.handovers.emplace_back(to, "stopping");
    stepping_down_.push_back(out.token);
    return out;
}

void PeerCore::follow_up(Effects& fx) {
    const auto& c = core();
    const bool leading = c.role() == raft::Role::leader;
    if (leading != told_leader_ || (leading && c.term() != told_term_)) {
        told_leader_ = leading;
        told_term_ = c.term();
        fx.leadership = std::make_pair(leading, c.term());
    }
    if (!leading && c.leader() != raft::no_node) {
        // A handover is answered once the new leader is known.
        for (Token t : stepping_down_) fx.answers.push_back({.token = t, .leader = c.leader(), .term = c.term()});
        for (Token t : transfers_) fx.answers.push_back({.token = t, .leader = c.leader(), .term = c.term()});
        stepping_down_.clear();
        transfers_.clear();
    }
    // Still leading with no transfer under way: the transfer was aborted (the target did
    // not take over within an election timeout).
    if (leading && c.transfer_target() == raft::no_node) {
        for (Token t : transfers_)
            fx.answers.push_back({.token = t,
                                  .ok = false,
                                  .code = "transfer_failed",
                                  .detail = "the target did not take over within an election timeout; " +
                                            name_of_(c.id()) + " still leads",
                                  .leader = c.id(),
                                  .term = c.term()});
        transfers_.clear();
    }
    // A drained node does not keep leadership: it hands it to its most caught-up voter
    // whenever it finds itself leading (an election may hand it back). A node out of
    // storage keeps it: a new leader's election must store a term and a vote, which a
    // member just as full cannot, and the cluster would be left with no leader at all.
    if (drained_ && leading && c.transfer_target() == raft::no_node)
        if (const raft::NodeId to = cons_.hand_over(); to != raft::no_node) fx.handovers.emplace_back(to, "drained");
}

}  // namespace raftor::node
