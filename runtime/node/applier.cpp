#include "runtime/node/applier.hpp"

#include <stdexcept>

#include "runtime/node/state_resume.hpp"
#include "runtime/raft/assert.hpp"
#include "runtime/raft/conf_change_codec.hpp"
#include "runtime/state/ops_snapshot.hpp"
#include "runtime/state/state_snapshot.hpp"

namespace raftor::node {

namespace {

// Drops the batch unless it was committed (a throw on the way: the replica stops).
struct BatchGuard {
    state::StateDb& db;
    ~BatchGuard() {
        if (db.in_batch()) db.abort();
    }
};

// The room a restore of a snapshot of `bytes` may take: its rows are larger than its
// packed encoding, and the tables it replaces are freed only once it commits.
std::uint64_t restore_room(std::size_t bytes, const Options& opts) {
    return 4 * std::uint64_t{bytes} + opts.batch_room_bytes;
}

}  // namespace

Applier::Applier(Options opts, raft::Index snapshot_index, std::shared_ptr<const std::string> snapshot_data,
                 std::shared_ptr<storage::StateStore> store, bool resume)
    : opts_(opts),
      db_(store ? std::make_unique<state::StateDb>(std::move(store)) : std::make_unique<state::StateDb>()),
      kv_(*db_),
      ops_(opts.ops, *db_),
      members_changed_(snapshot_data != nullptr),
      applied_(snapshot_index),
      last_snapshot_index_(snapshot_index) {
    if (resume)
        open_as_it_stands(snapshot_index);
    else
        rebuild(snapshot_index, snapshot_data);
}

// What the store held from before is not trusted: the tables are rebuilt from the
// snapshot, and the log after it is applied again.
void Applier::rebuild(raft::Index snapshot_index, const std::shared_ptr<const std::string>& snapshot_data) {
    const std::size_t bytes = snapshot_data ? snapshot_data->size() : 0;
    if (!room(restore_room(bytes, opts_)))
        throw std::runtime_error("no room to rebuild the state from the snapshot at index " +
                                 std::to_string(snapshot_index) + ": " + *waiting_for_room_);
    BatchGuard guard{*db_};
    db_->begin();
    db_->clear();
    kv_.reload();
    ops_ = state::OpsMachine(opts_.ops, *db_);
    if (snapshot_data) {
        if (auto e = state::restore_state(*snapshot_data, kv_, ops_, &members_))
            throw std::runtime_error("snapshot at index " + std::to_string(snapshot_index) + ": " + *e);
    }
    record_boot();
    db_->commit(snapshot_index);
}

// The store holds the state through its applied index: every table is read as it stands.
void Applier::open_as_it_stands(raft::Index snapshot_index) {
    const raft::Index at = db_->applied_index();
    if (at < snapshot_index)
        throw std::runtime_error("the state store applied through " + std::to_string(at) + ", before the snapshot at " +
                                 std::to_string(snapshot_index));
    kv_.reload();
    if (auto e = state::OpsSnapshotCodec::reload(ops_))
        throw state::StateDbError("the state store's operations do not load: " + *e +
                                  " (with the store's directory, dataDir/state, moved away, the node rebuilds it from "
                                  "its snapshot and log)");
    members_ = state::read_members(*db_);
    members_changed_ = true;
    applied_ = at;
    BatchGuard guard{*db_};
    db_->begin();
    record_boot();
    db_->commit(at);
}

void Applier::record_boot() {
    db_->put(state::tables::store_info, state::store_info_format, state_format);
    db_->put(state::tables::store_info, state::store_info_boot, opts_.boot_id);
}

void Applier::await(Token t, raft::Index index, raft::Term term) {
    // Proposed entries are handed over only after this call (one ordered channel), so
    // the index cannot have applied yet; if it has, its result is not ours to claim.
    if (index <= applied_) return complete({.token = t, .outcome = Outcome::unknown, .detail = "already applied"});
    writes_.emplace(index, PendingWrite{t, term});
}

void Applier::read(Token t, std::string key, raft::Index at) {
    reads_.emplace(at, PendingRead{t, std::move(key), {}});
    serve_reads();
}

void Applier::query(Token t, Query q, raft::Index at) {
    reads_.emplace(at, PendingRead{t, {}, std::move(q)});
    serve_reads();
}

std::size_t Applier::apply(const std::vector<raft::Entry>& committed, std::size_t from) {
    std::size_t i = from;
    while (i < committed.size() && room(opts_.batch_room_bytes)) {
        BatchGuard guard{*db_};
        db_->begin();
        for (std::size_t n = 0;
             i < committed.size() && n < opts_.batch_entries_max && db_->batch_bytes() < opts_.batch_bytes_max; ++n)
            apply_entry(committed[i++]);
        db_->commit(applied_);
    }
    serve_reads();
    return i - from;
}

bool Applier::room(std::uint64_t bytes) {
    storage::Status st = db_->reserve(bytes);
    if (st.ok()) {
        waiting_for_room_.reset();
        return true;
    }
    waiting_for_room_ = st.message;
    return false;
}

bool Applier::room_to_restore(std::size_t bytes) {
    return room(restore_room(bytes, opts_));
}

void Applier::apply_entry(const raft::Entry& e) {
    RAFT_ASSERT(e.index == applied_ + 1, "entries apply in log order, none skipped, none twice");
    applied_ = e.index;
    std::optional<PendingWrite> mine;
    if (auto it = writes_.find(e.index); it != writes_.end()) {
        // Ours only if the entry at that index is still the one we proposed.
        if (it->second.term == e.term)
            mine = it->second;
        else
            complete({.token = it->second.token, .outcome = Outcome::unknown, .detail = "entry overwritten"});
        writes_.erase(it);
    }
    if (e.type == raft::EntryType::conf_change) {
        apply_conf_change(e);
        if (mine) complete({.token = mine->token, .outcome = Outcome::done});
    }
    if (e.type != raft::EntryType::normal) return;
    std::string error;
    auto cmd = state::decode_any_command(e.payload, error);
    if (!cmd) {
        // Every replica decodes the same bytes the same way: skipping is deterministic.
        if (mine) complete({.token = mine->token, .outcome = Outcome::invalid, .detail = error});
        return;
    }
    if (auto* kv = std::get_if<state::KvCommand>(&*cmd)) {
        const state::KvResult r = kv_.apply(e.index, *kv);
        if (mine) complete({.token = mine->token, .outcome = Outcome::done, .result = r});
    } else {
        state::OpsResult r = ops_.apply(e.index, e.term, std::get<state::OpsCommand>(*cmd));
        if (mine) complete({.token = mine->token, .outcome = Outcome::done, .ops = std::move(r)});
    }
}

std::optional<std::string> Applier::restore(const raft::SnapshotMeta& meta, const std::string& data) {
    BatchGuard guard{*db_};
    db_->begin();
    if (auto e = state::restore_state(data, kv_, ops_, &members_)) return e;
    db_->commit(meta.index);
    members_changed_ = true;
    applied_ = meta.index;
    last_snapshot_index_ = meta.index;
    // Writes the snapshot swallowed: their results are not known here.
    while (!writes_.empty() && writes_.begin()->first <= applied_) {
        complete(
            {.token = writes_.begin()->second.token, .outcome = Outcome::unknown, .detail = "covered by a snapshot"});
        writes_.erase(writes_.begin());
    }
    serve_reads();
    return std::nullopt;
}

void Applier::abandon(raft::Term before) {
    for (auto it = writes_.begin(); it != writes_.end();) {
        if (it->second.term < before) {
            complete({.token = it->second.token, .outcome = Outcome::unknown, .detail = "leadership changed"});
            it = writes_.erase(it);
        } else {
            ++it;
        }
    }
}

void Applier::serve_reads() {
    while (!reads_.empty() && reads_.begin()->first <= applied_) {
        PendingRead r = std::move(reads_.begin()->second);
        reads_.erase(reads_.begin());
        if (r.query) {
            r.query(*this);
            complete({.token = r.token});
            continue;
        }
        complete({.token = r.token, .value = kv_.get(r.key)});
    }
}

std::optional<SnapshotDue> Applier::snapshot_due() {
    if (applied_ < last_snapshot_index_ + opts_.snapshot_interval_ops) return std::nullopt;
    last_snapshot_index_ = applied_;
    return SnapshotDue{applied_, std::make_shared<const std::string>(state::encode_state(kv_, ops_, members_))};
}

std::optional<SnapshotDue> Applier::snapshot_now() {
    if (applied_ <= last_snapshot_index_) return std::nullopt;
    last_snapshot_index_ = applied_;
    return SnapshotDue{applied_, std::make_shared<const std::string>(state::encode_state(kv_, ops_, members_))};
}

// The member a conf change adds is recorded (its context says who and where); a
// removed one is forgotten. A change without a context (a test's, a bootstrap
// member's) changes nothing here: such members are in every node's configuration.
void Applier::apply_conf_change(const raft::Entry& e) {
    auto cc = raft::decode_conf_change(e.payload);
    RAFT_ASSERT(cc.has_value(), "conf-change entries that reached the log decode");
    if (cc->type == raft::ConfChangeType::remove_voter) {
        members_.erase(cc->node);
        state::write_member(*db_, cc->node, nullptr);
        members_changed_ = true;
        return;
    }
    if (cc->context.empty()) return;
    std::string error;
    auto m = state::decode_member(cc->context, error);
    if (!m || m->id != cc->node) return;  // checked when proposed; every replica skips alike
    state::write_member(*db_, m->id, &*m);
    members_.put(std::move(*m));
    members_changed_ = true;
}

std::vector<Completion> Applier::take_completions() {
    std::vector<Completion> out = std::move(completions_);
    completions_.clear();
    return out;
}

}  // namespace raftor::node
