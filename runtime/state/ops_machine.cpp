#include "runtime/state/ops_machine.hpp"

#include <algorithm>

#include "runtime/common/mutation.hpp"
#include "runtime/crypto/merkle.hpp"
#include "runtime/raft/assert.hpp"
#include "runtime/state/event_filter.hpp"
#include "runtime/state/ops_snapshot.hpp"

namespace raftor::state {

const char* to_string(OpsResult::Code c) {
    switch (c) {
        case OpsResult::Code::ok: return "ok";
        case OpsResult::Code::not_found: return "not_found";
        case OpsResult::Code::exists: return "exists";
        case OpsResult::Code::duplicate: return "duplicate";
        case OpsResult::Code::refused: return "refused";
    }
    return "?";
}

std::int64_t retry_delay_ms(const OperationSpec& spec, std::uint64_t execution, std::uint32_t attempt) {
    // The first wait grown per try, capped (never below the first wait).
    const double first = static_cast<double>(spec.retry_backoff_ms);
    const double cap = std::max(first, static_cast<double>(spec.retry_max_backoff_ms));
    double d = first;
    for (std::uint32_t i = 1; i < attempt && d < cap; ++i) d *= spec.retry_multiplier;
    d = std::min(d, cap);
    // Jitter from the id and try (splitmix64): replicas agree, runs of one schedule spread.
    std::uint64_t z = execution * 0x9E3779B97F4A7C15ull + attempt;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    const auto whole = static_cast<std::int64_t>(d);
    return whole - static_cast<std::int64_t>(d * spec.retry_jitter * static_cast<double>(z % 1001) / 1000.0);
}

OpsMachine::OpsMachine(OpsOptions opts)
    : opts_(opts), own_db_(std::make_shared<StateDb>()), db_(own_db_.get()), history_(*db_) {}

OpsMachine::OpsMachine(OpsOptions opts, StateDb& db) : opts_(opts), db_(&db), history_(db) {}

OpsResult OpsMachine::apply(std::uint64_t index, std::uint64_t term, const OpsCommand& cmd) {
    // Into the applier's batch, or one of its own (a test's machine).
    StateDb::AutoBatch batch(*db_);
    OpsResult r = apply_in_batch(index, term, cmd);
    batch.done(index);
    return r;
}

OpsResult OpsMachine::apply_in_batch(std::uint64_t index, std::uint64_t term, const OpsCommand& cmd) {
    OpsResult r = apply_command(index, term, cmd);
    OpsSnapshotCodec::flush_rows(*this);
    return r;
}

OpsResult OpsMachine::apply_command(std::uint64_t index, std::uint64_t term, const OpsCommand& cmd) {
    const std::int64_t at = cmd.at_ms;
    const auto* tick = std::get_if<LeaderTick>(&cmd.body);
    leaders_.note(term, at, tick ? tick->node : std::string{});
    if (cmd.request.client != 0) {
        if (auto it = sessions_.find(cmd.request.client); it != sessions_.end() && cmd.request.seq <= it->second.seq) {
            if (cmd.request.seq < it->second.seq)
                return {OpsResult::Code::duplicate,
                        "request " + std::to_string(cmd.request.seq) + " of client " +
                            std::to_string(cmd.request.client) + " is older than its last, " +
                            std::to_string(it->second.seq),
                        {},
                        0};
            OpsResult again = it->second.result;
            again.replayed = true;
            return again;
        }
    }
    OpsResult r = std::visit(
        [&](const auto& c) -> OpsResult {
            using T = std::decay_t<decltype(c)>;
            if constexpr (std::is_same_v<T, PutOperation>) return put(c, at, index);
            if constexpr (std::is_same_v<T, DeleteOperation>) return remove(c, at);
            if constexpr (std::is_same_v<T, ExecuteOperation>) return execute(c, at);
            if constexpr (std::is_same_v<T, FireSlot>) return fire(c, at);
            if constexpr (std::is_same_v<T, FireBatch>) {
                // Each slot on its own terms: duplicates and unknown operations are
                // left out; the executions created are the result.
                OpsResult all;
                for (const auto& f : c.fires) {
                    OpsResult one = fire(f, at);
                    all.executions.insert(all.executions.end(), one.executions.begin(), one.executions.end());
                }
                return all;
            }
            if constexpr (std::is_same_v<T, PublishEvent>) return publish(c, at);
            if constexpr (std::is_same_v<T, StartBatch>) return start(c, term, at);
            if constexpr (std::is_same_v<T, FinishBatch>) return finish(c, at);
            if constexpr (std::is_same_v<T, Recover>) return recover(term, at);
            if constexpr (std::is_same_v<T, RegisterKey>) return register_key(c);
            if constexpr (std::is_same_v<T, SealReceipts>) return seal(c);
            if constexpr (std::is_same_v<T, Replay>) return replay(c, at);
            if constexpr (std::is_same_v<T, LeaderTick>) return OpsResult{};
            if constexpr (std::is_same_v<T, FireIdle>) return fire_idle(c, at);
        },
        cmd.body);
    prune(at);
    if (cmd.request.client != 0) r = remember(cmd.request, std::move(r));
    return r;
}

OpsResult OpsMachine::remember(const RequestId& request, OpsResult r) {
    Session& s = sessions_[request.client];
    dirty_sessions_.insert(request.client);
    if (s.touched) session_age_.erase(s.touched);
    s.seq = request.seq;
    s.touched = ++session_clock_;
    s.result = r;
    session_age_[s.touched] = request.client;
    while (sessions_.size() > opts_.sessions_max) {
        auto oldest = session_age_.begin();
        dirty_sessions_.insert(oldest->second);
        sessions_.erase(oldest->second);
        session_age_.erase(oldest);
    }
    return r;
}

const OperationEntry* OpsMachine::operation(const std::string& id) const {
    auto it = ops_.find(id);
    return it == ops_.end() ? nullptr : &it->second;
}

std::optional<Execution> OpsMachine::execution(std::uint64_t id) const {
    if (auto it = active_.find(id); it != active_.end()) return it->second;
    const std::uint64_t sequence = history_.sequence_of(id);
    if (sequence == 0) return std::nullopt;
    return history_.at(sequence);
}

OpsFigures OpsMachine::figures_between(std::int64_t from_ms, std::int64_t to_ms) const {
    if (history_complete_from_ms(to_ms) <= from_ms) return history_.figures_since(from_ms);
    return rollups_.total(from_ms, to_ms);
}

std::int64_t OpsMachine::history_visible_from_ms() const {
    return opts_.history_retention_ms > 0 && latest_ms() > 0 ? latest_ms() - opts_.history_retention_ms : INT64_MIN;
}

std::vector<Execution> OpsMachine::history_from(const std::string& op, std::uint64_t from, std::size_t limit) const {
    std::vector<Execution> out;
    const std::int64_t visible = history_visible_from_ms();
    if (limit > 0)
        history_.sequences_of(op, from, false, [&](std::uint64_t s) {
            Execution e = history_.at(s);
            if (e.finished_ms >= visible) out.push_back(std::move(e));  // else kept for its receipt only
            return out.size() < limit;
        });
    for (const auto& [id, e] : active_)
        if (out.size() < limit && e.operation == op) out.push_back(e);
    return out;
}

std::vector<Execution> OpsMachine::history(const std::string& op, std::size_t limit) const {
    std::vector<Execution> out;
    std::size_t active = 0;
    for (const auto& [id, e] : active_) active += e.operation == op;
    const std::size_t final_limit = limit > active ? limit - active : 0;
    if (final_limit > 0) {
        // The newest back to the first that finished before the visible window (older
        // ones are kept for their receipts only).
        history_.sequences_of(op, UINT64_MAX, true, [&](std::uint64_t s) {
            Execution e = history_.at(s);
            if (e.finished_ms < history_visible_from_ms()) return false;
            out.push_back(std::move(e));
            return out.size() < final_limit;
        });
        std::reverse(out.begin(), out.end());
    }
    // Still active ones come last: they are the newest in spirit, if not in id.
    for (const auto& [id, e] : active_)
        if (e.operation == op) out.push_back(e);
    if (out.size() > limit) out.erase(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(out.size() - limit));
    return out;
}

std::size_t OpsMachine::running(const std::string& op) const {
    auto it = running_.find(op);
    return it == running_.end() ? 0 : it->second;
}

OpsChanges OpsMachine::take_changes() {
    OpsChanges c = changes_;
    changes_ = {};
    return c;
}

void OpsMachine::index_operation(const OperationSpec& spec, bool add) {
    auto update = [&](std::map<std::string, std::set<std::string>>& index, const std::string& key) {
        if (add) {
            index[key].insert(spec.id);
        } else if (auto it = index.find(key); it != index.end()) {
            it->second.erase(spec.id);
            if (it->second.empty()) index.erase(it);
        }
    };
    for (const auto& t : spec.topics) update(by_topic_, t);
    for (const auto& o : spec.after_success) update(after_success_, o);
    for (const auto& o : spec.after_failure) update(after_failure_, o);
    if (spec.idle_threshold_ms == 0) return;
    if (add)
        idle_ops_.insert(spec.id);
    else
        idle_ops_.erase(spec.id);
}

OpsResult OpsMachine::put(const PutOperation& c, std::int64_t at_ms, std::uint64_t index) {
    OpsResult r;
    auto it = ops_.find(c.spec.id);
    if (it != ops_.end() && c.create_only) {
        r.code = OpsResult::Code::exists;
        r.detail = "operation '" + c.spec.id + "' exists (PUT /operations/" + c.spec.id + " replaces it)";
        r.version = it->second.version;
        return r;
    }
    if (it == ops_.end()) {
        OperationEntry e;
        e.spec = c.spec;
        e.version = 1;
        e.created_ms = e.updated_ms = e.last_slot_ms = e.schedule_set_ms = at_ms;
        it = ops_.emplace(c.spec.id, std::move(e)).first;
    } else {
        index_operation(it->second.spec, false);
        // A new schedule starts from now: slots of the old one are not owed.
        if (it->second.spec.schedule != c.spec.schedule) it->second.last_slot_ms = it->second.schedule_set_ms = at_ms;
        it->second.spec = c.spec;
        ++it->second.version;
        it->second.updated_ms = at_ms;
    }
    it->second.defined_index = index;
    dirty_ops_.insert(c.spec.id);
    index_operation(it->second.spec, true);
    changes_.schedules = true;
    r.version = it->second.version;
    return r;
}

OpsResult OpsMachine::remove(const DeleteOperation& c, std::int64_t at_ms) {
    auto it = ops_.find(c.id);
    if (it == ops_.end()) return {OpsResult::Code::not_found, "no operation '" + c.id + "'", {}, 0};
    index_operation(it->second.spec, false);
    dirty_ops_.insert(c.id);
    ops_.erase(it);
    changes_.schedules = true;
    // Waiting runs of it will not start; running ones finish and are recorded.
    for (auto e = active_.begin(); e != active_.end();) {
        auto next = std::next(e);
        if (e->second.operation == c.id && e->second.status != ExecStatus::running)
            finalize(e, ExecStatus::cancelled, at_ms, "operation deleted");
        e = next;
    }
    return {};
}

std::uint64_t OpsMachine::create(const OperationEntry& op, Cause cause, const std::string& input, std::int64_t at_ms,
                                 std::int64_t slot_ms) {
    Execution e;
    e.id = next_id_++;
    e.operation = op.spec.id;
    e.cause = cause;
    e.created_ms = at_ms;
    e.slot_ms = slot_ms;
    e.input = input;
    e.operation_version = op.version;
    e.input_hash = input_hash_of(op.spec.id, op.version, cause, slot_ms, input);
    const std::uint64_t id = e.id;
    active_.emplace(id, std::move(e));
    dirty_active_.insert(id);
    if (cause != Cause::idle) {
        if (busy_ == 0 && !idle_ops_.empty()) changes_.schedules = true;  // no longer idle
        ++busy_;
        last_activity_ms_ = std::max(last_activity_ms_, at_ms);
    }
    changes_.runnable = true;
    return id;
}

OpsResult OpsMachine::execute(const ExecuteOperation& c, std::int64_t at_ms) {
    auto it = ops_.find(c.id);
    if (it == ops_.end()) return {OpsResult::Code::not_found, "no operation '" + c.id + "'", {}, 0};
    OpsResult r;
    r.executions.push_back(create(it->second, Cause::manual, c.input, at_ms, 0));
    return r;
}

OpsResult OpsMachine::fire(const FireSlot& c, std::int64_t at_ms) {
    auto it = ops_.find(c.id);
    if (it == ops_.end()) return {OpsResult::Code::not_found, "no operation '" + c.id + "'", {}, 0};
    OperationEntry& op = it->second;
    if (!op.spec.schedule) return {OpsResult::Code::refused, "operation '" + c.id + "' has no schedule", {}, 0};
    // Slots only move forward: a slot at or before the last one fired is a duplicate
    // (a new leader re-proposing what its predecessor already fired).
    if (c.slot_ms <= op.last_slot_ms && !RAFTOR_MUTATED(fire_without_dedup))
        return {OpsResult::Code::duplicate, "slot " + std::to_string(c.slot_ms) + " already fired", {}, 0};
    op.last_slot_ms = c.slot_ms;
    dirty_ops_.insert(c.id);
    changes_.schedules = true;
    OpsResult r;
    r.executions.push_back(create(op, Cause::schedule, {}, at_ms, c.slot_ms));
    return r;
}

OpsResult OpsMachine::fire_idle(const FireIdle& c, std::int64_t at_ms) {
    auto it = ops_.find(c.id);
    if (it == ops_.end()) return {OpsResult::Code::not_found, "no operation '" + c.id + "'", {}, 0};
    OperationEntry& op = it->second;
    if (op.spec.idle_threshold_ms == 0)
        return {OpsResult::Code::refused, "operation '" + c.id + "' has no idle trigger", {}, 0};
    // Proposed on a view that may be stale: it fires only if the cluster is still idle
    // since the same moment, long enough, and it has not fired for that period yet.
    const std::int64_t from = idle_from_ms(op);
    if (busy_ > 0 || c.idle_from_ms != from || op.idle_fired_for_ms == from ||
        at_ms - from < static_cast<std::int64_t>(op.spec.idle_threshold_ms))
        return {OpsResult::Code::duplicate, "not idle since " + std::to_string(c.idle_from_ms) + " any more", {}, 0};
    op.idle_fired_for_ms = from;
    dirty_ops_.insert(c.id);
    changes_.schedules = true;
    OpsResult r;
    r.executions.push_back(create(op, Cause::idle, {}, at_ms, 0));
    return r;
}

OpsResult OpsMachine::publish(const PublishEvent& c, std::int64_t at_ms) {
    OpsResult r;
    auto it = by_topic_.find(c.topic);
    if (it == by_topic_.end()) return r;
    std::optional<std::optional<nlohmann::json>> body;  // read once, when a filter asks
    for (const auto& id : it->second) {
        auto op = ops_.find(id);
        if (op == ops_.end()) continue;
        if (!op->second.spec.event_filter.empty()) {
            if (!body) body = event_body(c.body);
            if (!event_matches(op->second.spec.event_filter, *body)) continue;
        }
        r.executions.push_back(create(op->second, Cause::event, c.body, at_ms, 0));
    }
    return r;
}

OpsResult OpsMachine::start(const StartBatch& c, std::uint64_t term, std::int64_t at_ms) {
    OpsResult r;
    for (const StartExecution& s : c.starts) {
        auto it = active_.find(s.execution);
        // Only an execution waiting for exactly this try starts: anything else is a
        // stale or repeated start from some leader, and changes nothing.
        if (it == active_.end() || it->second.status == ExecStatus::running || s.attempt != it->second.attempt + 1)
            continue;
        Execution& e = it->second;
        auto op = ops_.find(e.operation);
        if (op == ops_.end()) {
            finalize(it, ExecStatus::cancelled, at_ms, "operation deleted");
            continue;
        }
        const Concurrency policy = op->second.spec.concurrency;
        if (running(e.operation) > 0 && policy == Concurrency::forbid) {
            finalize(it, ExecStatus::skipped, at_ms, "concurrency forbid: a run of this operation was still running");
            continue;
        }
        if (running(e.operation) > 0 && policy == Concurrency::replace) {
            for (auto o = active_.begin(); o != active_.end();) {
                auto next = std::next(o);
                if (o != it && o->second.operation == e.operation && o->second.status == ExecStatus::running)
                    finalize(o, ExecStatus::cancelled, at_ms, "replaced by " + execution_id_string(e.id));
                o = next;
            }
        }
        dirty_active_.insert(e.id);
        e.status = ExecStatus::running;
        e.attempt = s.attempt;
        e.node = s.node;
        if (e.attempt == 1 || e.started_ms == 0) e.started_ms = s.started_at_ms;
        e.start_term = term;
        ++running_[e.operation];
        r.executions.push_back(e.id);
        changes_.runnable = true;
    }
    return r;
}

OpsResult OpsMachine::finish(const FinishBatch& c, std::int64_t at_ms) {
    OpsResult r;
    for (const FinishExecution& f : c.finishes) {
        auto it = active_.find(f.execution);
        // The try that ended must be the one running: a finish from a try that was
        // already resolved (interrupted, replaced, retried elsewhere) is history.
        if (it == active_.end() || it->second.status != ExecStatus::running || it->second.attempt != f.attempt)
            continue;
        Execution& e = it->second;
        dirty_active_.insert(e.id);
        e.exit_code = f.exit_code;
        e.finished_ms = f.finished_at_ms;
        e.duration_ms = f.duration_ms;
        e.output = f.output;
        e.output_hash = f.output_hash;
        r.executions.push_back(e.id);
        auto op = ops_.find(e.operation);
        const bool failed = f.status != ExecStatus::success;
        if (failed && op != ops_.end() && e.attempt <= op->second.spec.retries) {
            stop_running(e);
            e.status = ExecStatus::retrying;
            e.retry_at_ms = at_ms + retry_delay_ms(op->second.spec, e.id, e.attempt);
            e.detail = std::string("try ") + std::to_string(e.attempt) + " " + to_string(f.status);
            changes_.runnable = true;
            continue;
        }
        finalize(it, f.status, f.finished_at_ms);
    }
    return r;
}

OpsResult OpsMachine::recover(std::uint64_t term, std::int64_t at_ms) {
    OpsResult r;
    for (auto it = active_.begin(); it != active_.end();) {
        auto next = std::next(it);
        Execution& e = it->second;
        if (e.status == ExecStatus::running && e.start_term < term && !RAFTOR_MUTATED(recover_forgets_running)) {
            auto op = ops_.find(e.operation);
            r.executions.push_back(e.id);
            dirty_active_.insert(e.id);
            if (op != ops_.end() && op->second.spec.on_leader_loss == OnLeaderLoss::retry) {
                // The same execution, tried again: its id and its receipt stay one.
                stop_running(e);
                e.status = ExecStatus::retrying;
                e.retry_at_ms = at_ms;
                e.detail = "try " + std::to_string(e.attempt) + " lost with its leader (term " +
                           std::to_string(e.start_term) + ")";
                changes_.runnable = true;
            } else {
                finalize(it, ExecStatus::interrupted, at_ms,
                         "its leader was lost while it ran (term " + std::to_string(e.start_term) + ")");
            }
        }
        it = next;
    }
    return r;
}

OpsResult OpsMachine::register_key(const RegisterKey& c) {
    // A new key (a node that lost its data, a restored cluster) joins the old ones:
    // the batches they signed must still verify.
    auto& ring = keys_[c.node];
    if (std::find(ring.begin(), ring.end(), c.key) == ring.end()) ring.push_back(c.key);
    return {};
}

OpsResult OpsMachine::seal(const SealReceipts& c) {
    auto refuse = [](std::string why) { return OpsResult{OpsResult::Code::refused, std::move(why), {}, 0}; };
    if (c.first != seal_from())
        return refuse("seal starts at " + std::to_string(c.first) + ", the next unsealed receipt is " +
                      std::to_string(seal_from()));
    if (c.count == 0 || c.first + c.count - 1 > chain_.last_sequence())
        return refuse("seal covers receipts past the end of the chain");
    auto key = keys_.find(c.signer);
    if (key == keys_.end() || key->second.empty()) return refuse("no key registered for signer '" + c.signer + "'");
    RAFT_ASSERT(history_.holds(c.first), "unsealed receipts are never pruned");
    const std::vector<crypto::Digest> leaves = history_.hashes(c.first, c.first + c.count - 1);
    if (crypto::merkle_root(leaves) != c.root) return refuse("seal's root is not the root of those receipts");
    // Signed with the signer's newest key (the one it holds now).
    if (!crypto::verify(key->second.back(), crypto::batch_message(c.root), c.signature))
        return refuse("seal's signature does not verify with " + c.signer + "'s key");
    seals_.emplace(c.first, c);
    dirty_seals_.insert(c.first);
    sealed_through_ = c.first + c.count - 1;
    history_.sealed_through(sealed_through_);
    changes_.receipts = true;
    return {};
}

void OpsMachine::stop_running(const Execution& e) {
    auto n = running_.find(e.operation);
    RAFT_ASSERT(n != running_.end() && n->second > 0, "a running execution is counted as running");
    if (--n->second == 0) running_.erase(n);
}

void OpsMachine::finalize(std::map<std::uint64_t, Execution>::iterator it, ExecStatus status, std::int64_t at_ms,
                          std::string detail) {
    RAFT_ASSERT(is_final(status), "finalize takes a final status");
    Execution e = std::move(it->second);
    active_.erase(it);
    dirty_active_.insert(e.id);
    if (e.status == ExecStatus::running) stop_running(e);
    e.status = status;
    if (e.finished_ms == 0 || !detail.empty()) e.finished_ms = at_ms;
    if (e.cause != Cause::idle) {
        RAFT_ASSERT(busy_ > 0, "an active execution not caused by idleness is counted busy");
        --busy_;
        last_activity_ms_ = std::max(last_activity_ms_, e.finished_ms);
        if (!idle_ops_.empty()) changes_.schedules = true;  // idle triggers count from here
    }
    if (!detail.empty()) e.detail = std::move(detail);
    keep_final_only(e);
    crypto::Receipt r = receipt_fields(e);
    chain_.append(r);
    e.receipt_sequence = r.sequence;
    e.receipt_hash = chain_.head();
    history_.push(e);
    figures_.add(e);
    rollups_.add(e.finished_ms, e.operation, e.status, e.started_ms != 0, e.duration_ms);
    changes_.runnable = true;
    changes_.receipts = true;
    if (status == ExecStatus::success) trigger(e.operation, Cause::after_success, at_ms, e.id);
    if (status == ExecStatus::failed || status == ExecStatus::timeout || status == ExecStatus::interrupted)
        trigger(e.operation, Cause::after_failure, at_ms, e.id);
}

void OpsMachine::trigger(const std::string& op, Cause cause, std::int64_t at_ms, std::uint64_t from) {
    const auto& index = cause == Cause::after_success ? after_success_ : after_failure_;
    auto it = index.find(op);
    if (it == index.end()) return;
    for (const auto& id : it->second)
        if (auto dep = ops_.find(id); dep != ops_.end())
            create(dep->second, cause, execution_id_string(from), at_ms, 0);
}

void OpsMachine::prune(std::int64_t at_ms) {
    rollups_.drop_before(at_ms - opts_.rollup_retention_ms);
    leaders_.drop_before(at_ms - opts_.rollup_retention_ms);
    const std::int64_t keep_ms = std::max(opts_.history_retention_ms, opts_.receipts_retention_ms);
    // Whole sealed batches only, so every receipt kept can still be proven; a bounded
    // number per command.
    for (std::uint32_t dropped = 0; !history_.empty() && dropped < opts_.prune_batches_max; ++dropped) {
        const std::uint64_t first = history_.base_sequence() + 1;
        if (first > sealed_through_) break;
        auto s = seals_.find(first);
        RAFT_ASSERT(s != seals_.end(), "kept receipts start at a sealed batch");
        const std::uint64_t last = first + s->second.count - 1;
        RAFT_ASSERT(history_.holds(last), "a sealed batch is kept whole");
        const bool too_many = history_.size() - s->second.count >= opts_.history_max;
        const bool too_old = keep_ms > 0 && history_.finished_ms(last) < at_ms - keep_ms;
        if (!too_many && !too_old) break;
        history_.each(first, last,
                      [&](const Execution& e) { dropped_through_ms_ = std::max(dropped_through_ms_, e.finished_ms); });
        history_.drop_through(last);
        dirty_seals_.insert(first);
        seals_.erase(s);
    }
}

std::uint64_t OpsMachine::seal_from() const {
    // The mutant leaves one receipt behind and seals the ones after it.
    return sealed_through_ + (RAFTOR_MUTATED(seal_out_of_order) ? 2 : 1);
}

std::vector<crypto::Digest> OpsMachine::unsealed(std::size_t limit) const {
    const std::uint64_t first = seal_from(), last = chain_.last_sequence();
    if (first > last || limit == 0) return {};
    return history_.hashes(first, std::min<std::uint64_t>(last, first + limit - 1));
}

std::optional<crypto::Receipt> OpsMachine::receipt_of(std::uint64_t execution) const {
    const std::uint64_t sequence = history_.sequence_of(execution);
    if (sequence == 0) return std::nullopt;
    auto out = receipts(sequence, 1);
    if (out.empty()) return std::nullopt;
    return out.front();
}

std::vector<crypto::Receipt> OpsMachine::receipts(std::uint64_t from, std::size_t limit) const {
    std::vector<crypto::Receipt> out;
    from = std::max(from, history_.base_sequence() + 1);
    const std::uint64_t end = history_.last_sequence();
    if (from > end || limit == 0) return out;
    const std::uint64_t last = end - from < limit ? end : from + limit - 1;
    auto batch_of = [&](std::uint64_t s) {
        auto b = seals_.upper_bound(s);
        RAFT_ASSERT(b != seals_.begin(), "a sealed receipt has its batch");
        return &std::prev(b)->second;
    };
    // The hashes of every receipt read and of the whole batches they are in, in one pass.
    const std::uint64_t lo = from <= sealed_through_ ? batch_of(from)->first : from;
    std::uint64_t hi = last;
    if (last <= sealed_through_) {
        const SealRecord* b = batch_of(last);
        hi = b->first + b->count - 1;
    }
    const std::vector<crypto::Digest> hashes = history_.hashes(lo, hi);
    const crypto::Digest before = history_.hash(lo - 1);
    auto hash_of = [&](std::uint64_t s) { return s < lo ? before : hashes[s - lo]; };
    // Each batch's tree is built once for all of its receipts asked for.
    const SealRecord* batch = nullptr;
    std::optional<crypto::MerkleTree> tree;
    out.reserve(last - from + 1);
    for (std::uint64_t s = from; s <= last; ++s) {
        crypto::Receipt r = receipt_fields(history_.at(s));
        r.sequence = s;
        r.prev_hash = hash_of(s - 1);
        if (s <= sealed_through_) {
            if (!batch || s >= batch->first + batch->count) {
                batch = batch_of(s);
                tree.emplace(std::vector<crypto::Digest>(
                    hashes.begin() + static_cast<std::ptrdiff_t>(batch->first - lo),
                    hashes.begin() + static_cast<std::ptrdiff_t>(batch->first - lo + batch->count)));
            }
            r.signer = batch->signer;
            r.batch_root = batch->root;
            r.batch_index = static_cast<std::uint32_t>(s - batch->first);
            r.batch_size = batch->count;
            r.proof = tree->proof(r.batch_index);
            r.signature = batch->signature;
        }
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace raftor::state
