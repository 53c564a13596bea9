#pragma once
// The Raft side of a node behind one surface: every input the raft_peer actor receives
// goes in through step(), and what the node must do comes out as Effects, which the
// actor carries out (send frames, persist a batch, hand entries to the state machine,
// answer requests, tell the operations actors who leads). Besides the Raft core
// (consensus.hpp) it holds the decisions a node makes around it: refuse writes while
// its storage is full, hand leadership on while drained, validate an operator's
// transfer, and answer transfers and step-downs once they are over. No I/O, no clock,
// no CAF: tests and the simulator drive exactly what the actor drives.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "runtime/node/consensus.hpp"
#include "runtime/raft/inbound_check.hpp"

namespace raftor::node {

namespace in {
struct Tick {};
// A peer frame as it arrived from `sender`; decoded and checked here.
struct Frame {
    raft::NodeId sender = 0;
    std::string_view bytes;
};
struct Persisted {
    std::uint64_t id = 0;
};
// Entries storage read back for a Fetch (none: ask again later).
struct Fetched {
    raft::NodeId to = 0;
    raft::Index from = 0;
    std::vector<raft::Entry> entries;
};
struct Write {
    state::KvCommand cmd;
};
struct Propose {
    std::string payload;  // an encoded operations command
};
struct ChangeMember {
    raft::ConfChangeType type = raft::ConfChangeType::add_voter;
    raft::NodeId node = 0;
    std::string context;
};
struct Read {};  // linearizable
struct StorageFull {
    bool full = false;
    std::string why;
};
struct Drained {
    bool on = false;
};
struct Transfer {
    raft::NodeId to = 0;  // 0: the most caught-up voter
};
struct StepDown {};  // before a graceful stop
// The state machine snapshotted at `index`: drop the log before it.
struct Compact {
    raft::Index index = 0;
    std::shared_ptr<const std::string> data;
};
struct Advance {};  // everything pending, as one Ready (the actor batches its mailbox first)
}  // namespace in

using Input =
    std::variant<in::Tick, in::Frame, in::Persisted, in::Fetched, in::Write, in::Propose, in::ChangeMember, in::Read,
                 in::StorageFull, in::Drained, in::Transfer, in::StepDown, in::Compact, in::Advance>;

// The answer to an operator's transfer or step-down.
struct AdminResult {
    Token token = 0;
    bool ok = true;
    std::string code;  // when not ok: not_leader, no_target, transfer_failed
    std::string detail;
    raft::NodeId leader = 0;
    raft::Term term = 0;
    bool changed = true;
};

// A frame that never reached the core, and why.
struct RefusedFrame {
    raft::NodeId sender = 0;
    raft::Refusal why = raft::Refusal::none;
    std::string what;  // the message type, or why it did not decode
};

struct Effects {
    Token token = 0;                   // the request's, when the input was one
    std::optional<Proposal> proposed;  // a write in the log (or refused: `refused` set)
    std::optional<RefusedFrame> refused_frame;
    bool from_leader = false;             // the frame came from the leader this node follows
    std::optional<Actions> actions;       // from Advance: frames, the batch to persist, entries to apply, reads
    std::vector<Completion> completions;  // requests refused now
    std::vector<AdminResult> answers;     // transfers and step-downs, now or once over
    // Leadership changed as the operations actors see it: leading in this term, or not.
    std::optional<std::pair<bool, raft::Term>> leadership;
    // Leadership handed on, to whom and why ("operator", "drained", "stopping").
    std::vector<std::pair<raft::NodeId, std::string>> handovers;
    std::optional<raft::Snapshot> snapshot;  // from Compact: to store (none: a newer one covers it)
};

class PeerCore {
public:
    // `name_of` names a member in the details operators read.
    PeerCore(raft::Config cfg, raft::Restore restore, std::size_t min_voters,
             std::function<std::string(raft::NodeId)> name_of);

    Effects step(Input input);

    // The core, to look at: every change goes through step().
    const raft::Raft& core() const { return cons_.core(); }
    std::size_t pending_reads() const { return cons_.pending_reads(); }
    bool has_work() const { return cons_.has_work(); }
    bool storage_full() const { return storage_full_; }
    const std::string& storage_full_reason() const { return storage_full_why_; }
    bool drained() const { return drained_; }

private:
    Effects on(in::Frame f);
    Effects on(in::Transfer t);
    Effects on(in::StepDown);
    // A write refused before it reaches the log, while this leader's storage is full.
    Effects propose(const std::function<Proposal(Token)>& make);
    // After every input: leadership news, a drained leader's handover, answers that are due.
    void follow_up(Effects& fx);

    Consensus cons_;
    std::function<std::string(raft::NodeId)> name_of_;
    Token next_token_ = 1;
    bool storage_full_ = false;
    std::string storage_full_why_;
    bool drained_ = false;
    bool told_leader_ = false;
    raft::Term told_term_ = 0;
    std::vector<Token> transfers_, stepping_down_;  // answered once over
};

}  // namespace raftor::node
