#include "sim/ops_checks.hpp"

#include <algorithm>
#include <cmath>

#include "runtime/schedule/schedule.hpp"
#include "runtime/state/due_slots.hpp"
#include "runtime/state/ops_snapshot.hpp"

namespace raftor::sim {

namespace {

std::string ex(std::uint64_t id) {
    return state::execution_id_string(id);
}

std::string at(std::int64_t ms) {
    return schedule::format_rfc3339(ms);
}

// The wait before try `attempt` + 1, as the policy states it, without its jitter:
// the first wait grown per try, capped, never below the first.
double policy_wait_ms(const state::OperationSpec& s, std::uint32_t attempt) {
    const double first = static_cast<double>(s.retry_backoff_ms);
    const double cap = std::max(first, static_cast<double>(s.retry_max_backoff_ms));
    return std::min(cap, first * std::pow(s.retry_multiplier, static_cast<double>(attempt) - 1));
}

constexpr std::size_t chain_kept = 200'000;        // indexes whose chain end is kept
constexpr std::int64_t owed_grace_ms = 2'000;      // a slot due this recently may still be on its way
constexpr std::int64_t stuck_queued_ms = 10'000;   // queued this long with every fault over: stuck
constexpr std::int64_t stuck_retrying_ms = 3'000;  // a retry this overdue: stuck
constexpr std::uint64_t running_slack_us = 2'000'000;

}  // namespace

OpsChecker::OpsChecker(ActorCluster& cluster, std::uint32_t election_timeout_ms)
    : c_(cluster), election_us_(std::uint64_t{election_timeout_ms} * 1000), shadow_([&] {
          state::OpsOptions o;
          o.history_max = cluster.options().history_max;
          return o;
      }()) {}

void OpsChecker::violation(std::string what) {
    if (violations_.size() < 16 && std::find(violations_.begin(), violations_.end(), what) == violations_.end())
        violations_.push_back(std::move(what));
}

void OpsChecker::committed(const raft::Entry& e) {
    if (e.index <= applied_) return;
    pending_.emplace(e.index, e);
    while (!pending_.empty() && pending_.begin()->first == applied_ + 1) {
        auto next = pending_.extract(pending_.begin());
        apply(next.mapped());
    }
}

void OpsChecker::apply(const raft::Entry& e) {
    applied_ = e.index;
    if (e.type == raft::EntryType::normal) {
        std::string error;
        auto cmd = state::decode_any_command(e.payload, error);
        if (cmd)
            if (auto* ops = std::get_if<state::OpsCommand>(&*cmd)) apply_ops(e, *ops);
    }
    chain_at_[e.index] = {shadow_.chain_sequence(), shadow_.chain_head()};
    if (chain_at_.size() > chain_kept) chain_at_.erase(chain_at_.begin());
}

std::uint64_t OpsChecker::timeout_of(const std::string& operation) const {
    const auto* op = shadow_.operation(operation);
    return op ? op->spec.timeout_ms : 0;
}

void OpsChecker::apply_ops(const raft::Entry& e, const state::OpsCommand& cmd) {
    // Only these start or end tries; the others (fires, events, seals, ticks, keys) need
    // no copy of what was active before them.
    const bool tries =
        std::holds_alternative<state::StartBatch>(cmd.body) || std::holds_alternative<state::FinishBatch>(cmd.body) ||
        std::holds_alternative<state::Recover>(cmd.body) || std::holds_alternative<state::PutOperation>(cmd.body) ||
        std::holds_alternative<state::DeleteOperation>(cmd.body);
    std::map<std::uint64_t, state::Execution> before;
    if (tries) before = shadow_.active();
    const state::OpsResult r = shadow_.apply(e.index, e.term, cmd);
    auto now_of = [&](std::uint64_t id) { return shadow_.execution(id); };

    // Slots: each (operation, slot) creates one execution, ever.
    if (std::holds_alternative<state::FireBatch>(cmd.body) || std::holds_alternative<state::FireSlot>(cmd.body))
        for (auto id : r.executions) {
            const auto x = now_of(id);
            if (!x || x->cause != state::Cause::schedule) continue;
            if (!fired_.emplace(x->operation, x->slot_ms).second)
                violation("operation '" + x->operation + "': slot " + at(x->slot_ms) + " fired twice (again as " +
                          ex(id) + ", entry " + std::to_string(e.index) + ")");
        }

    // Tries that ended here, and what a failed one led to.
    const auto* finishes = std::get_if<state::FinishBatch>(&cmd.body);
    for (const auto& [id, b] : before) {
        if (b.status != state::ExecStatus::running) continue;
        const auto a = now_of(id);
        if (a && a->status == state::ExecStatus::running && a->attempt == b.attempt) continue;
        running_.erase({id, b.attempt});
        if (finishes == nullptr || !a) continue;
        auto f =
            std::find_if(finishes->finishes.begin(), finishes->finishes.end(),
                         [&](const state::FinishExecution& x) { return x.execution == id && x.attempt == b.attempt; });
        if (f == finishes->finishes.end() || f->status == state::ExecStatus::success) continue;
        const auto* op = shadow_.operation(b.operation);
        if (op == nullptr) continue;
        const state::OperationSpec& s = op->spec;
        const std::string name = ex(id) + " (" + b.operation + ") try " + std::to_string(b.attempt);
        if (a->status == state::ExecStatus::retrying) {
            if (b.attempt > s.retries)
                violation(name + " " + state::to_string(f->status) + " and was retried past its " +
                          std::to_string(s.retries) + " retries");
            const double d = policy_wait_ms(s, b.attempt);
            const auto wait = a->retry_at_ms - cmd.at_ms;
            const auto hi = static_cast<std::int64_t>(d) + 1;  // + 1: pow() and repeated products may round apart
            const auto lo = hi - static_cast<std::int64_t>(std::ceil(d * s.retry_jitter)) - 1;
            if (wait < lo || wait > hi)
                violation(name + " waits " + std::to_string(wait) + " ms to be retried; the policy says " +
                          std::to_string(lo) + ".." + std::to_string(hi) + " ms");
        } else if (state::is_final(a->status) && b.attempt <= s.retries && a->status == f->status) {
            violation(name + " " + state::to_string(f->status) + " and was not retried, with " +
                      std::to_string(s.retries - b.attempt + 1) + " retries left");
        }
    }

    // Tries that started here: a retry only once its wait is over.
    if (const auto* starts = std::get_if<state::StartBatch>(&cmd.body))
        for (const auto& s : starts->starts) {
            const auto a = now_of(s.execution);
            if (!a || a->status != state::ExecStatus::running || a->attempt != s.attempt) continue;
            auto b = before.find(s.execution);
            if (b == before.end() || b->second.status == state::ExecStatus::running) continue;
            if (running_.count({s.execution, s.attempt})) continue;
            ++tries_;
            if (s.attempt > 1) ++retries_;
            running_[{s.execution, s.attempt}] = Try{c_.now_us(), timeout_of(a->operation), false};
            if (b->second.status == state::ExecStatus::retrying && s.started_at_ms < b->second.retry_at_ms)
                violation(ex(s.execution) + " (" + a->operation + ") try " + std::to_string(s.attempt) +
                          " started at " + at(s.started_at_ms) + ", before its retry was due at " +
                          at(b->second.retry_at_ms));
        }
}

void OpsChecker::launched(raft::NodeId node, std::uint64_t execution, std::uint32_t attempt) {
    const std::string name = ex(execution) + " try " + std::to_string(attempt);
    const std::string here = "node " + std::to_string(node);
    if (auto [it, first] = launches_.emplace(std::pair{execution, attempt}, node); !first)
        violation(name + " launched twice: on node " + std::to_string(it->second) + ", then on " + here);
    // The leader applied the start before it launched, so the shadow, fed by every
    // node's commits, has it too.
    const auto x = shadow_.execution(execution);
    if (!x || x->attempt < attempt)
        violation(name + " launched on " + here + " before its start committed (the log has " +
                  (x ? "try " + std::to_string(x->attempt) + ", " + state::to_string(x->status) : "no such execution") +
                  ")");
}

void OpsChecker::healed() {
    healed_ = true;
    leader_ = 0;
    leader_since_us_ = c_.now_us();
}

void OpsChecker::sample() {
    if (!healed_) return;
    const std::uint64_t now = c_.now_us();
    const raft::NodeId l = c_.leader();
    if (l != leader_ || l == 0) {
        leader_ = l;
        leader_since_us_ = now;
        return;
    }
    for (auto& [key, t] : running_) {
        if (t.reported) continue;
        const std::uint64_t since = std::max(t.started_us, leader_since_us_);
        const std::uint64_t bound = t.timeout_ms * 1000 + 2 * election_us_ + running_slack_us;
        if (now - since <= bound) continue;
        t.reported = true;
        violation(ex(key.first) + " try " + std::to_string(key.second) + " still running " +
                  std::to_string((now - t.started_us) / 1000) + " ms after it started (timeout " +
                  std::to_string(t.timeout_ms) + " ms), with node " + std::to_string(l) + " leading for " +
                  std::to_string((now - leader_since_us_) / 1000) + " ms");
    }
}

void OpsChecker::check_end() {
    const raft::NodeId l = c_.leader();
    if (l == 0) {
        violation("operations: no leader at the end to check the schedules against");
        return;
    }
    const std::int64_t wall = c_.wall_ms(l);

    // Slots: none skipped between the schedule's start and the last fired, none owed now.
    std::map<std::string, std::vector<std::int64_t>> fired;
    for (const auto& [op, slot] : fired_) fired[op].push_back(slot);
    for (const auto& [id, op] : shadow_.operations()) {
        if (!op.spec.schedule) continue;
        std::string error;
        const auto s = schedule::parse(*op.spec.schedule, error);
        if (!s) {
            violation("operation '" + id + "': schedule '" + *op.spec.schedule + "': " + error);
            continue;
        }
        const auto& got = fired[id];
        std::size_t i = 0;
        for (auto slot = schedule::next_after(*s, op.schedule_set_ms); slot && *slot <= op.last_slot_ms;
             slot = schedule::next_after(*s, *slot), ++i) {
            if (i >= got.size() || got[i] != *slot) {
                violation("operation '" + id + "': slot " + at(*slot) + " never fired (the schedule went on to " +
                          at(op.last_slot_ms) + ")");
                break;
            }
        }
        const auto owed = state::due_slots(*s, op.last_slot_ms, wall - owed_grace_ms, state::CatchUp::all, 0, 1);
        if (!owed.fire.empty())
            violation("operation '" + id + "': slot " + at(owed.fire.front()) + " still owed at " + at(wall) +
                      " by the leader's clock (node " + std::to_string(l) + "); last fired " + at(op.last_slot_ms));
    }

    // Nothing stuck in the queue or waiting for a retry long overdue.
    for (const auto& [id, x] : shadow_.active()) {
        if (x.status == state::ExecStatus::queued && x.created_ms < wall - stuck_queued_ms)
            violation(ex(id) + " (" + x.operation + ") queued since " + at(x.created_ms) + ", still at " + at(wall));
        if (x.status == state::ExecStatus::retrying && x.retry_at_ms < wall - stuck_retrying_ms)
            violation(ex(id) + " (" + x.operation + ") due for a retry at " + at(x.retry_at_ms) + ", still at " +
                      at(wall));
    }
    sample();

    // Every node's receipts verify, and end where the log says they end at its applied index.
    struct Chain {
        raft::Index applied = 0;
        std::uint64_t sequence = 0, sealed = 0, base = 0;
        crypto::Digest head{}, base_hash{};
        crypto::KeyRing keys;
        std::vector<crypto::Receipt> receipts;
        std::optional<std::string> rows;  // set: the state store's rows do not hold the machine
    };
    for (raft::NodeId id = 1; id <= c_.size(); ++id) {
        Chain ch;
        const bool seen = c_.look(id, [&ch](const node::Applier& a) {
            const auto& o = a.ops();
            ch.applied = a.applied();
            ch.sequence = o.chain_sequence();
            ch.head = o.chain_head();
            ch.sealed = o.sealed_through();
            ch.base = o.base_sequence();
            ch.base_hash = o.base_hash();
            ch.keys = o.keys();
            ch.receipts = o.receipts(ch.base + 1, ch.sequence - ch.base);
            // A machine built from the node's rows alone is the node's, byte for byte.
            state::OpsMachine copy(o.options(), o.db());
            if (auto e = state::OpsSnapshotCodec::reload(copy))
                ch.rows = "its operations rows do not reload: " + *e;
            else if (state::OpsSnapshotCodec::encode(copy) != state::OpsSnapshotCodec::encode(o))
                ch.rows = "its operations rows differ from its operations state";
        });
        const std::string who = "node " + std::to_string(id);
        if (!seen) {
            violation(who + ": its state could not be read at the end");
            continue;
        }
        if (ch.rows) violation(who + ": " + *ch.rows);
        const auto check = crypto::verify_chain(ch.receipts, ch.keys, crypto::ChainEnd{ch.sequence, ch.head}, ch.base,
                                                ch.base_hash, ch.sealed);
        if (!check.ok) violation(who + ": receipt chain does not verify: " + check.error);
        auto want = chain_at_.find(ch.applied);
        if (want != chain_at_.end() && (want->second.first != ch.sequence || want->second.second != ch.head))
            violation(who + ": at applied index " + std::to_string(ch.applied) + " its chain ends at receipt " +
                      std::to_string(ch.sequence) + ", the log's at " + std::to_string(want->second.first) +
                      (want->second.first == ch.sequence ? " with another head" : ""));
    }
}

OpsChecker::Figures OpsChecker::figures() const {
    Figures f;
    f.executions = shadow_.next_execution_id() - 1;
    f.fires = fired_.size();
    f.tries = tries_;
    f.retries = retries_;
    f.launches = launches_.size();
    f.receipts = shadow_.chain_sequence();
    f.sealed = shadow_.sealed_through();
    f.applied = applied_;
    return f;
}

}  // namespace raftor::sim
