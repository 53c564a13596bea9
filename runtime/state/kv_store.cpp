#include "runtime/state/kv_store.hpp"

#include <algorithm>

#include "runtime/raft/assert.hpp"
#include "runtime/raft/capnp_io.hpp"
#include "runtime/state/state_snapshot.hpp"

namespace raftor::state {

using raft::detail::bytes_of;
using raft::detail::string_of;

std::optional<std::string> check_command(const KvCommand& cmd) {
    if (cmd.key.empty()) return std::string("key is empty");
    if (cmd.key.find('\0') != std::string::npos) return std::string("key contains a NUL byte");
    if (cmd.key.size() > kv_key_bytes_max)
        return "key is " + std::to_string(cmd.key.size()) + " bytes, more than " + std::to_string(kv_key_bytes_max);
    if (cmd.value.size() > kv_value_bytes_max)
        return "value is " + std::to_string(cmd.value.size()) + " bytes, more than " +
               std::to_string(kv_value_bytes_max);
    return std::nullopt;
}

KvResult KvStore::apply(std::uint64_t index, const KvCommand& cmd) {
    RAFT_ASSERT(index > applied_index_, "entries are applied once, in log order");
    applied_index_ = index;
    if (cmd.request.client != 0) {
        auto it = sessions_.find(cmd.request.client);
        if (it != sessions_.end() && cmd.request.seq <= it->second.seq) {
            KvResult r = it->second.result;
            r.duplicate = true;
            return r;
        }
    }
    KvResult r;
    auto it = kv_.find(cmd.key);
    const std::uint64_t current = it == kv_.end() ? 0 : it->second.revision;
    if (cmd.prev_revision && *cmd.prev_revision != current) {
        r = KvResult{false, current};
    } else if (cmd.op == KvCommand::Op::put) {
        ++revision_;
        KvValue& v = kv_[cmd.key];
        if (v.create_revision == 0) v.create_revision = revision_;
        v.value = cmd.value;
        v.revision = revision_;
        r = KvResult{true, revision_};
    } else if (it == kv_.end()) {
        r = KvResult{true, revision_};  // deleting nothing changes nothing
    } else {
        kv_.erase(it);
        r = KvResult{true, ++revision_};
    }
    if (cmd.request.client != 0) remember(cmd.request.client, cmd.request.seq, r);
    return r;
}

void KvStore::remember(std::uint64_t client, std::uint64_t seq, const KvResult& r) {
    Session& s = sessions_[client];
    if (s.touched) session_age_.erase(s.touched);
    s.seq = seq;
    s.result = r;
    s.touched = ++session_clock_;
    session_age_[s.touched] = client;
    while (sessions_.size() > kv_sessions_max) {
        auto oldest = session_age_.begin();
        sessions_.erase(oldest->second);
        session_age_.erase(oldest);
    }
}

const KvValue* KvStore::get(const std::string& key) const {
    auto it = kv_.find(key);
    return it == kv_.end() ? nullptr : &it->second;
}

std::size_t KvStore::data_bytes() const {
    std::size_t n = 0;
    for (const auto& [k, v] : kv_) n += k.size() + v.value.size();
    return n;
}

void KvCodec::save(const KvStore& m, schema::StateSnapshot::Builder s) {
    s.setAppliedIndex(m.applied_index_);
    s.setRevision(m.revision_);
    auto kv = s.initKv(static_cast<unsigned>(m.kv_.size()));
    unsigned i = 0;
    for (const auto& [k, v] : m.kv_) {
        auto p = kv[i++];
        p.setKey(k);
        p.setValue(bytes_of(v.value));
        p.setRevision(v.revision);
        p.setCreateRevision(v.create_revision);
    }
    // Sessions in client order, so equal states give equal bytes.
    std::map<std::uint64_t, KvStore::Session> ordered(m.sessions_.begin(), m.sessions_.end());
    auto ss = s.initSessions(static_cast<unsigned>(ordered.size()));
    i = 0;
    for (const auto& [client, sess] : ordered) {
        auto c = ss[i++];
        c.setClient(client);
        c.setSeq(sess.seq);
        c.setRevision(sess.result.revision);
        c.setOk(sess.result.ok);
        c.setTouched(sess.touched);
    }
}

std::optional<std::string> KvCodec::load(KvStore& m, schema::StateSnapshot::Reader s) {
    KvStore next;
    next.applied_index_ = s.getAppliedIndex();
    next.revision_ = s.getRevision();
    for (auto p : s.getKv()) {
        KvValue v{string_of(p.getValue()), p.getRevision(), p.getCreateRevision()};
        if (v.revision > next.revision_ || v.revision == 0)
            return "key revision " + std::to_string(v.revision) + " beyond the snapshot's revision";
        next.kv_.emplace(std::string(p.getKey().cStr()), std::move(v));
    }
    // A snapshot from before sessions were bounded has no `touched`: they count in client
    // order, and the newest ones are kept.
    for (auto c : s.getSessions()) {
        const std::uint64_t touched = c.getTouched() ? c.getTouched() : next.session_clock_ + 1;
        if (next.session_age_.count(touched) || next.sessions_.count(c.getClient()))
            return "client session " + std::to_string(c.getClient()) +
                   " is listed twice, or its use order repeats another's";
        next.sessions_[c.getClient()] = KvStore::Session{c.getSeq(), KvResult{c.getOk(), c.getRevision()}, touched};
        next.session_age_[touched] = c.getClient();
        next.session_clock_ = std::max(next.session_clock_, touched);
    }
    while (next.sessions_.size() > kv_sessions_max) {
        auto oldest = next.session_age_.begin();
        next.sessions_.erase(oldest->second);
        next.session_age_.erase(oldest);
    }
    m = std::move(next);
    return std::nullopt;
}

std::string KvStore::snapshot() const {
    capnp::MallocMessageBuilder mb;
    KvCodec::save(*this, mb.initRoot<schema::StateSnapshot>());
    return raft::detail::to_bytes(mb);
}

std::optional<std::string> KvStore::restore(const std::string& bytes) {
    std::string error;
    auto done = raft::detail::decode_root<schema::StateSnapshot>(
        bytes, error, "state snapshot", [&](schema::StateSnapshot::Reader s) -> std::optional<bool> {
            if (auto e = KvCodec::load(*this, s)) {
                error = *e;
                return std::nullopt;
            }
            return true;
        });
    if (!done) return error;
    return std::nullopt;
}

std::string encode_command(const KvCommand& cmd) {
    capnp::MallocMessageBuilder mb(raft::detail::first_segment_words(128 + cmd.key.size() + cmd.value.size()));
    auto c = mb.initRoot<schema::Command>();
    c.initRequest().setClient(cmd.request.client);
    c.getRequest().setSeq(cmd.request.seq);
    if (cmd.op == KvCommand::Op::put) {
        auto p = c.initKvPut();
        p.setKey(cmd.key);
        p.setValue(bytes_of(cmd.value));
        p.setHasPrevRevision(cmd.prev_revision.has_value());
        p.setPrevRevision(cmd.prev_revision.value_or(0));
    } else {
        auto d = c.initKvDelete();
        d.setKey(cmd.key);
        d.setHasPrevRevision(cmd.prev_revision.has_value());
        d.setPrevRevision(cmd.prev_revision.value_or(0));
    }
    return raft::detail::to_bytes(mb);
}

std::optional<KvCommand> KvCodec::command(schema::Command::Reader c, std::string& error) {
    KvCommand cmd;
    cmd.request = RequestId{c.getRequest().getClient(), c.getRequest().getSeq()};
    switch (c.which()) {
        case schema::Command::KV_PUT: {
            auto p = c.getKvPut();
            cmd.op = KvCommand::Op::put;
            cmd.key = p.getKey().cStr();
            cmd.value = string_of(p.getValue());
            if (p.getHasPrevRevision()) cmd.prev_revision = p.getPrevRevision();
            break;
        }
        case schema::Command::KV_DELETE: {
            auto d = c.getKvDelete();
            cmd.op = KvCommand::Op::del;
            cmd.key = d.getKey().cStr();
            if (d.getHasPrevRevision()) cmd.prev_revision = d.getPrevRevision();
            break;
        }
        default: error = "not a key-value command"; return std::nullopt;
    }
    if (auto why = check_command(cmd)) {
        error = *why;
        return std::nullopt;
    }
    return cmd;
}

std::optional<KvCommand> decode_command(std::string_view bytes, std::string& error) {
    return raft::detail::decode_root<schema::Command>(
        bytes, error, "command",
        [&](schema::Command::Reader c) -> std::optional<KvCommand> { return KvCodec::command(c, error); });
}

}  // namespace raftor::state
