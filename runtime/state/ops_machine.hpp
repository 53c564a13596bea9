#pragma once
// The operations state machine, pure: the registry of operations, their executions
// from creation to a final status, and the receipt chain over finished executions.
// Committed commands go in (in log order) with the entry's index and term; every
// decision is made here, from the log alone, so every replica makes the same one:
//  - a scheduled fire is accepted once per (operation, slot), so a new leader can
//    never fire a slot twice;
//  - a start is refused when the execution is not waiting for one (another leader's
//    stale start), and the concurrency policy is applied at the start;
//  - a new leader's recover entry resolves every try started in an earlier term
//    (retried with the same execution id, or interrupted);
//  - a final status appends one receipt to the chain; the leader seals receipts in
//    signed batches, checked here against the chain before they count.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/crypto/receipt.hpp"
#include "runtime/state/history_table.hpp"
#include "runtime/state/leader_terms.hpp"
#include "runtime/state/ops_command.hpp"
#include "runtime/state/ops_figures.hpp"
#include "runtime/state/rollups.hpp"

namespace raftor::state {

struct OpsOptions {
    static constexpr std::int64_t day_ms = 86'400'000;
    std::size_t history_max = 100'000;  // final executions kept, the oldest dropped first
    // An execution and its receipt are one record: it is dropped once older than both
    // (history.retentionMs, receipts.retentionMs); the history routes show executions
    // only within history_retention_ms.
    std::int64_t history_retention_ms = 30 * day_ms;
    std::int64_t receipts_retention_ms = 30 * day_ms;
    // The per-minute rollups and the leader terms (metricsRetentionMs, at least 35 days).
    static constexpr std::int64_t rollup_retention_min_ms = 35 * day_ms;
    std::int64_t rollup_retention_ms = rollup_retention_min_ms;
    std::uint32_t seal_max = 1024;  // receipts in one signed batch
    // Sealed batches retention drops per applied command at most (a shortened retention
    // or a long pause must not make one huge store transaction): the rest go with the
    // commands after, a leader's tick at least.
    std::uint32_t prune_batches_max = 8;
    std::size_t sessions_max = 10'000;  // clients whose last request is remembered
};

struct OpsResult {
    enum class Code : std::uint8_t { ok, not_found, exists, duplicate, refused } code = Code::ok;
    std::string detail;
    std::vector<std::uint64_t> executions;  // created by this command
    std::uint64_t version = 0;              // an operation's, after a put
    bool replayed = false;                  // a retried request: its first result, not applied again
};
const char* to_string(OpsResult::Code c);

struct OperationEntry {
    OperationSpec spec;
    std::uint64_t version = 0;  // bumped by every put
    std::int64_t created_ms = 0, updated_ms = 0;
    std::int64_t last_slot_ms = 0;       // schedules: the latest slot fired (or when the schedule was set)
    std::int64_t schedule_set_ms = 0;    // when the schedule was last set: no slot before it is owed
    std::int64_t idle_fired_for_ms = 0;  // the idle period (by its start) the idle trigger last fired for
    // The log index of the put that set this definition: unique across deletes and
    // re-creations (a version starts again at 1), so caches key on it.
    std::uint64_t defined_index = 0;
};

// A seal accepted into the chain is kept as it was proposed.
using SealRecord = SealReceipts;

// What changed since it was last asked: the actors that follow the state wake on it.
struct OpsChanges {
    // an operation with a schedule or an idle trigger was put or deleted, a slot or an idle
    // trigger fired, or (with idle triggers defined) the cluster became busy or idle again
    bool schedules = false;
    bool runnable = false;  // executions were created, finished, retried or cancelled
    bool receipts = false;  // receipts to seal, or sealed
    bool any() const { return schedules || runnable || receipts; }
};

class OpsMachine {
public:
    // Final executions and receipts go to `db`'s tables; without one, to a store in memory
    // of its own.
    explicit OpsMachine(OpsOptions opts = {});
    OpsMachine(OpsOptions opts, StateDb& db);
    OpsMachine(const OpsMachine&) = delete;
    OpsMachine& operator=(const OpsMachine&) = delete;
    OpsMachine(OpsMachine&&) = default;
    OpsMachine& operator=(OpsMachine&&) = default;

    const OpsOptions& options() const { return opts_; }
    StateDb& db() const { return *db_; }

    OpsResult apply(std::uint64_t index, std::uint64_t term, const OpsCommand& cmd);

    // ---- reading
    const std::map<std::string, OperationEntry>& operations() const { return ops_; }
    const OperationEntry* operation(const std::string& id) const;
    // An execution, active or kept (with its receipt's hash once it is final).
    std::optional<Execution> execution(std::uint64_t id) const;
    // Final and active executions of one operation, oldest first, the newest `limit`.
    // A page of `op`'s history from receipt sequence `from` on, oldest first: up to `limit`
    // finished executions, then, when the finished ones run out before the limit, the
    // active ones. The cursor of the next page is the last one's sequence + 1.
    std::vector<Execution> history_from(const std::string& op, std::uint64_t from, std::size_t limit) const;
    std::vector<Execution> history(const std::string& op, std::size_t limit) const;
    // Queued, running and retrying executions, in creation order.
    const std::map<std::uint64_t, Execution>& active() const { return active_; }
    std::size_t running(const std::string& op) const;
    std::size_t history_size() const { return history_.size(); }

    // ---- receipts
    std::uint64_t chain_sequence() const { return chain_.last_sequence(); }
    const crypto::Digest& chain_head() const { return chain_.head(); }
    std::uint64_t sealed_through() const { return sealed_through_; }
    // The chain before the oldest receipt kept (retention drops whole batches).
    std::uint64_t base_sequence() const { return history_.base_sequence(); }
    const crypto::Digest& base_hash() const { return history_.base_hash(); }
    const HistoryTable& finished() const { return history_; }
    const OpsFigures& figures() const { return figures_; }
    const Rollups& rollups() const { return rollups_; }
    // The figures of the executions that finished within [from_ms, to_ms] (a metrics
    // window): to the millisecond from the history while it still holds all of them,
    // else in whole minutes from the rollups.
    OpsFigures figures_between(std::int64_t from_ms, std::int64_t to_ms) const;
    const LeaderTerms& leaders() const { return leaders_; }
    // The latest proposer's time applied (0 before any): the state's own "now".
    std::int64_t latest_ms() const { return leaders_.terms().empty() ? 0 : leaders_.terms().back().last_ms; }
    const crypto::KeyRing& keys() const { return keys_; }
    // Where the next seal starts: the first receipt not yet sealed.
    std::uint64_t seal_from() const;
    // Hashes of the receipts not yet sealed, from seal_from(), at most `limit`.
    std::vector<crypto::Digest> unsealed(std::size_t limit) const;
    // The receipt of a finished execution, with its batch and proof when sealed.
    std::optional<crypto::Receipt> receipt_of(std::uint64_t execution) const;
    // Receipts kept, in chain order, from sequence `from` (at least the oldest kept).
    std::vector<crypto::Receipt> receipts(std::uint64_t from, std::size_t limit) const;

    OpsChanges take_changes();
    bool changed() const { return changes_.any(); }
    std::uint64_t next_execution_id() const { return next_id_; }
    // The earliest finish time from which every final execution is still kept (before
    // it, retention or historyMax dropped some); INT64_MIN when none was ever dropped.
    std::int64_t history_complete_from_ms(std::int64_t now_ms) const;
    // The history routes show executions that finished from here on (history.retentionMs
    // behind latest_ms()); older ones still kept are there for their receipts.
    std::int64_t history_visible_from_ms() const;

    // ---- idleness (idle triggers)
    // Executions not caused by idleness that are queued, running or retrying.
    std::size_t busy() const { return busy_; }
    // When the idle period an operation's idle trigger waits on began: the latest
    // creation or finish of an execution not caused by idleness, or the operation's
    // last change, whichever is later. Due at that plus its idleThresholdMs, while
    // busy() is 0, once per period.
    std::int64_t idle_from_ms(const OperationEntry& op) const { return std::max(last_activity_ms_, op.updated_ms); }

private:
    friend struct OpsSnapshotCodec;
    OpsResult apply_in_batch(std::uint64_t index, std::uint64_t term, const OpsCommand& cmd);
    OpsResult apply_command(std::uint64_t index, std::uint64_t term, const OpsCommand& cmd);

    OpsResult put(const PutOperation& c, std::int64_t at_ms, std::uint64_t index);
    OpsResult remove(const DeleteOperation& c, std::int64_t at_ms);
    OpsResult execute(const ExecuteOperation& c, std::int64_t at_ms);
    OpsResult fire(const FireSlot& c, std::int64_t at_ms);
    OpsResult publish(const PublishEvent& c, std::int64_t at_ms);
    OpsResult start(const StartBatch& c, std::uint64_t term, std::int64_t at_ms);
    OpsResult finish(const FinishBatch& c, std::int64_t at_ms);
    OpsResult recover(std::uint64_t term, std::int64_t at_ms);
    OpsResult register_key(const RegisterKey& c);
    OpsResult seal(const SealReceipts& c);
    OpsResult replay(const Replay& c, std::int64_t at_ms);  // ops_replay.cpp
    OpsResult fire_idle(const FireIdle& c, std::int64_t at_ms);

    std::uint64_t create(const OperationEntry& op, Cause cause, const std::string& input, std::int64_t at_ms,
                         std::int64_t slot_ms);
    // Moves an active execution to its final status: a receipt, then its triggers.
    void finalize(std::map<std::uint64_t, Execution>::iterator it, ExecStatus status, std::int64_t at_ms,
                  std::string detail = {});
    void stop_running(const Execution& e);
    void trigger(const std::string& op, Cause cause, std::int64_t at_ms, std::uint64_t from);
    void prune(std::int64_t at_ms);
    void index_operation(const OperationSpec& spec, bool add);

    OpsOptions opts_;
    std::shared_ptr<StateDb> own_db_;  // when it was given none
    StateDb* db_;
    std::uint64_t next_id_ = 1;
    std::map<std::string, OperationEntry> ops_;
    std::map<std::string, std::set<std::string>> by_topic_, after_success_, after_failure_;
    std::set<std::string> idle_ops_;  // operations with an idle trigger
    std::map<std::uint64_t, Execution> active_;
    std::unordered_map<std::string, std::size_t> running_;  // running tries by operation
    HistoryTable history_;                                  // final executions in receipt order, in db_
    OpsFigures figures_;                                    // counts and durations of final executions
    Rollups rollups_;                                       // ... and the same per minute and operation
    LeaderTerms leaders_;                                   // the terms that committed entries
    crypto::ReceiptChain chain_;
    std::uint64_t sealed_through_ = 0;
    std::map<std::uint64_t, SealRecord> seals_;  // by first sequence
    std::int64_t dropped_through_ms_ = 0;        // the latest finish time of an execution dropped
    std::size_t busy_ = 0;                       // see busy()
    std::int64_t last_activity_ms_ = 0;          // see idle_from_ms()
    crypto::KeyRing keys_;                       // every key each node registered, oldest first
    OpsChanges changes_;
    // Retried client requests: each client's last (seq, result), the least recently
    // longest unused dropped past sessions_max. `touched` counts requests in log order.
    struct Session {
        std::uint64_t seq = 0;
        std::uint64_t touched = 0;
        OpsResult result;
    };
    std::map<std::uint64_t, Session> sessions_;
    std::map<std::uint64_t, std::uint64_t> session_age_;  // touched -> client
    std::uint64_t session_clock_ = 0;
    OpsResult remember(const RequestId& request, OpsResult r);
    // What changed since the state store's rows were last written (ops_rows.cpp): the
    // operations, active executions, seals and sessions by key, or every row.
    std::set<std::string> dirty_ops_;
    std::set<std::uint64_t> dirty_active_, dirty_seals_, dirty_sessions_;
    bool dirty_all_ = false;
};

// Milliseconds to wait before try `attempt + 1`, after try `attempt` failed: the
// backoff times the multiplier per try, capped, less up to jitterFactor of it by a
// jitter drawn from the execution id (the same on every replica).
std::int64_t retry_delay_ms(const OperationSpec& spec, std::uint64_t execution, std::uint32_t attempt);

}  // namespace raftor::state
