#include "runtime/node/replica.hpp"

#include <cstring>
#include <stdexcept>

#include "runtime/raft/assert.hpp"

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
    }
    return "?";
}

Replica::Replica(raft::Config cfg, raft::Restore restore, Options opts)
    : core_(cfg, restore), opts_(opts), last_snapshot_index_(restore.snapshot.index) {
    if (restore.snapshot_data) {
        if (auto e = kv_.restore(*restore.snapshot_data))
            throw std::runtime_error("snapshot at index " + std::to_string(restore.snapshot.index) + ": " + *e);
    }
    last_term_ = core_.term();
}

void Replica::write(Token t, state::KvCommand cmd) {
    if (auto why = state::check_command(cmd))
        return complete({.token = t, .outcome = Outcome::invalid, .detail = *why});
    auto p = core_.propose(state::encode_command(cmd));
    if (!p.ok()) {
        const raft::NodeId hint =
            p.error == raft::Error::transfer_in_progress ? core_.transfer_target() : core_.leader();
        return complete(
            {.token = t, .outcome = Outcome::not_leader, .leader_hint = hint, .detail = raft::to_string(p.error)});
    }
    writes_.emplace(p.index, PendingWrite{t, p.term});
}

void Replica::read(Token t, std::string key, bool stale) {
    if (stale) {
        const state::KvValue* v = kv_.get(key);
        return complete({.token = t, .value = v ? std::optional(*v) : std::nullopt});
    }
    const std::string ctx = context_of(t);
    if (core_.read_index(ctx) != raft::Error::none)
        return complete({.token = t, .outcome = Outcome::not_leader, .leader_hint = core_.leader()});
    reads_.emplace(ctx, PendingRead{t, std::move(key)});
}

void Replica::apply(const raft::Entry& e) {
    auto pending = writes_.find(e.index);
    std::optional<PendingWrite> mine;
    if (pending != writes_.end()) {
        // Ours only if the entry at that index is still the one we proposed.
        if (pending->second.term == e.term)
            mine = pending->second;
        else
            complete({.token = pending->second.token, .outcome = Outcome::unknown, .detail = "entry overwritten"});
        writes_.erase(pending);
    }
    if (e.type != raft::EntryType::normal) return;
    std::string error;
    auto cmd = state::decode_command(e.payload, error);
    if (!cmd) {
        // Every replica decodes the same bytes the same way: skipping is deterministic.
        if (mine) complete({.token = mine->token, .outcome = Outcome::invalid, .detail = error});
        return;
    }
    const state::KvResult r = kv_.apply(e.index, *cmd);
    if (mine) complete({.token = mine->token, .outcome = Outcome::done, .result = r});
}

void Replica::serve_ready_reads() {
    while (!reads_ready_.empty() && reads_ready_.begin()->first <= core_.applied()) {
        PendingRead r = std::move(reads_ready_.begin()->second);
        reads_ready_.erase(reads_ready_.begin());
        const state::KvValue* v = kv_.get(r.key);
        complete({.token = r.token, .value = v ? std::optional(*v) : std::nullopt});
    }
}

void Replica::fail_all_pending(Outcome why) {
    for (auto& [idx, w] : writes_) complete({.token = w.token, .outcome = why, .detail = "leadership changed"});
    writes_.clear();
    // Reads still waiting for a read index will never get one from the old leader.
    for (auto& [ctx, r] : reads_)
        complete({.token = r.token,
                  .outcome = Outcome::not_leader,
                  .leader_hint = core_.leader(),
                  .detail = "leadership changed"});
    reads_.clear();
}

Actions Replica::advance() {
    Actions a;
    a.ready = core_.ready();
    raft::Ready& rd = a.ready;
    if (rd.snapshot) {
        auto e = kv_.restore(*rd.snapshot->data);
        RAFT_ASSERT(!e.has_value(), "a snapshot from the leader restores (its checksum was verified)");
        last_snapshot_index_ = rd.snapshot->meta.index;
        // Writes the snapshot swallowed: their results are not known here.
        while (!writes_.empty() && writes_.begin()->first <= last_snapshot_index_) {
            complete({.token = writes_.begin()->second.token,
                      .outcome = Outcome::unknown,
                      .detail = "covered by a snapshot"});
            writes_.erase(writes_.begin());
        }
    }
    for (const raft::Entry& e : rd.committed) apply(e);
    for (auto& rs : rd.read_states) {
        auto it = reads_.find(rs.context);
        if (it == reads_.end()) continue;
        reads_ready_.emplace(rs.index, std::move(it->second));
        reads_.erase(it);
    }
    serve_ready_reads();
    // A leader that lost its role (or anyone whose term moved) cannot vouch for pending work.
    if (core_.term() != last_term_ || (last_role_ == raft::Role::leader && core_.role() != raft::Role::leader))
        fail_all_pending(Outcome::unknown);
    last_term_ = core_.term();
    last_role_ = core_.role();
    // Section 5.1: snapshot the state machine every snapshot_interval_ops entries.
    const raft::Index applied = core_.applied();
    if (applied >= last_snapshot_index_ + opts_.snapshot_interval_ops) {
        if (core_.compact(applied, std::make_shared<const std::string>(kv_.snapshot())) == raft::Error::none) {
            last_snapshot_index_ = applied;
            a.local_snapshot = core_.snapshot();
        }
    }
    a.completions = std::move(completions_);
    completions_.clear();
    return a;
}

}  // namespace raftor::node
