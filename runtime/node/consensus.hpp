#pragma once
// The Raft side of a node, without I/O: the core and the client requests waiting on
// it. A write is proposed (or refused at once); a linearizable read waits here for a
// confirmed read index. What the state machine must do comes out in Actions: restore a
// snapshot, apply committed entries, serve reads at an index, and give up on writes
// proposed before a leadership change. The raft_peer actor carries these out.
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runtime/node/completion.hpp"
#include "runtime/raft/raft.hpp"

namespace raftor::node {

struct Proposal {
    std::optional<Completion> refused;  // set: answer the client with it now
    raft::Index index = 0;              // else: the entry's place in the log...
    raft::Term term = 0;                // ...and the term it was proposed in
};

// A read whose index is confirmed (ch. 6.4): serve it once the state machine applied `index`.
struct ReadAt {
    Token token;
    raft::Index index;
};

struct Actions {
    raft::Ready ready;  // persist, send; ready.snapshot / ready.committed go to the state machine
    std::vector<ReadAt> reads;
    std::vector<Completion> completions;  // reads refused after a leadership change
    // Set when leadership or the term changed: writes proposed in a term before this
    // one can no longer be vouched for (they end `unknown` unless already applied).
    std::optional<raft::Term> abandon_before;
};

class Consensus {
public:
    Consensus(raft::Config cfg, raft::Restore restore);

    Proposal write(Token t, const state::KvCommand& cmd);
    // An encoded command (an operations command, checked by its encoder).
    Proposal propose(Token t, std::string payload);
    // A membership change (dissertation ch. 4): done once its entry applies.
    Proposal change_membership(Token t, raft::ConfChangeType type, raft::NodeId node, std::string context);
    std::optional<Completion> read(Token t);  // linearizable; set: refused now
    // raft.minClusterSize: a removal that would leave fewer voters is refused.
    void set_min_voters(std::size_t n) { min_voters_ = n; }

    void tick() { core_.tick(); }
    void step(const raft::Message& m) { core_.step(m); }
    void persisted(std::uint64_t persist_id) { core_.on_persisted(persist_id); }
    // Entries storage read back for a Fetch the core asked for (none: ask again later).
    void fetched(raft::NodeId to, raft::Index from, std::vector<raft::Entry> entries) {
        core_.on_fetched(to, from, std::move(entries));
    }
    // An operator's transfer of leadership to `to`.
    raft::Error transfer_leadership(raft::NodeId to) { return core_.transfer_leadership(to); }
    // The state machine snapshotted at `index` (handed to it already): drop the log
    // before it. The snapshot to store, when the core took it.
    std::optional<raft::Snapshot> compact(raft::Index index, std::shared_ptr<const std::string> data);

    // Before a graceful stop: a leader hands leadership to its most caught-up voter
    // (dissertation 3.10), so the cluster does not wait out an election timeout.
    // The voter chosen; 0 when this node is not the leader or has no one to hand to.
    raft::NodeId hand_over();

    Actions advance();
    bool has_work() const { return core_.has_ready() || !completions_.empty(); }

    // The core, to look at: every change goes through the calls above.
    const raft::Raft& core() const { return core_; }
    std::size_t pending_reads() const { return reads_.size(); }
    // Reads waiting for a confirmed read index; more are refused (Outcome::overloaded).
    // One heartbeat round serves them all, so this bounds memory, not throughput.
    static constexpr std::size_t pending_reads_max = 10'000;

private:
    raft::Raft core_;
    raft::Role last_role_ = raft::Role::follower;
    raft::Term last_term_ = 0;
    std::map<std::string, Token> reads_;  // by ReadIndex context, waiting for a read index
    std::vector<Completion> completions_;
    std::size_t min_voters_ = 1;
};

}  // namespace raftor::node
