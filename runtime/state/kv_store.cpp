#include "runtime/state/kv_store.hpp"

#include <algorithm>

#include "runtime/crypto/sha256.hpp"
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

namespace {

constexpr std::string_view meta_key = "meta";

// A key is its own table key up to 399 bytes (the store's keys stop at 510). A longer
// one is its first 368 bytes and the SHA-256 of all of it: 400 bytes, a length no short
// key has, and its row keeps the whole key.
constexpr std::size_t short_key_max = 399;
constexpr std::size_t long_key_prefix = 368;

std::string table_key(std::string_view key) {
    if (key.size() <= short_key_max) return std::string(key);
    std::string k(key.substr(0, long_key_prefix));
    k.append(crypto::view(crypto::sha256(key)));
    return k;
}
bool hashed(std::string_view table_key) {
    return table_key.size() > short_key_max;
}

// revision, create revision, [the whole key's length and bytes, when hashed,] value
std::string encode_row(std::string_view key, const KvValue& v) {
    std::string out;
    out.reserve(24 + key.size() + v.value.size());
    append_be64(out, v.revision);
    append_be64(out, v.create_revision);
    if (key.size() > short_key_max) {
        append_be64(out, key.size());
        out.append(key);
    }
    out.append(v.value);
    return out;
}

struct Row {
    std::string key;  // the whole key
    KvValue value;
    std::size_t key_and_value_bytes = 0;
};

// Rows are ours: one that does not decode is a damaged store, not input.
Row decode_row(std::string_view tkey, std::string_view row, bool with_value = true) {
    const auto bad = [&](const char* what) {
        return StateDbError("the key-value row at table key of " + std::to_string(tkey.size()) + " bytes (" +
                            crypto::to_hex(tkey.substr(0, 32)) + "...) " + what);
    };
    const auto rev = decode_be64(row, 0), created = decode_be64(row, 8);
    if (!rev || !created) throw bad("is under its 16-byte header");
    Row r;
    std::size_t at = 16;
    if (hashed(tkey)) {
        const auto len = decode_be64(row, 16);
        if (!len || *len > row.size() - 24) throw bad("has a whole key longer than the row");
        r.key.assign(row.substr(24, *len));
        at = 24 + *len;
    } else {
        r.key.assign(tkey);
    }
    r.value.revision = *rev;
    r.value.create_revision = *created;
    r.key_and_value_bytes = r.key.size() + row.size() - at;
    if (with_value) r.value.value.assign(row.substr(at));
    return r;
}

}  // namespace

KvStore::KvStore() : own_(std::make_unique<StateDb>()), db_(own_.get()) {}

KvStore::KvStore(StateDb& db) : db_(&db) {
    reload();
}

KvStore::KvStore(KvStore&&) noexcept = default;
KvStore::~KvStore() = default;

void KvStore::reload() {
    meta_ = {};
    sessions_.clear();
    session_age_.clear();
    session_clock_ = 0;
    auto row = db_->get(tables::kv_meta, meta_key);
    if (!row) return;
    const auto a = decode_be64(*row, 0), r = decode_be64(*row, 8), k = decode_be64(*row, 16), b = decode_be64(*row, 24);
    // 40 bytes with the session clock; 32 in a store written before the sessions were rows.
    if (!a || !r || !k || !b || (row->size() != 32 && row->size() != 40))
        throw StateDbError("the key-value figures are " + std::to_string(row->size()) + " bytes, not 40");
    meta_ = Meta{*a, *r, *k, *b};
    session_clock_ = decode_be64(*row, 32).value_or(0);
    db_->scan(tables::kv_sessions, {}, {}, [&](std::string_view key, std::string_view v) {
        const auto client = decode_be64(key), seq = decode_be64(v, 0), touched = decode_be64(v, 8),
                   revision = decode_be64(v, 17);
        if (key.size() != 8 || v.size() != 25 || !client || !seq || !touched || !revision ||
            session_age_.count(*touched) || *touched > session_clock_)
            throw StateDbError("the key-value session row of " + std::to_string(v.size()) + " bytes is malformed");
        sessions_[*client] = Session{*seq, KvResult{v[16] != 0, *revision}, *touched};
        session_age_[*touched] = *client;
        return true;
    });
}

void KvStore::write_meta(const Meta& m) {
    std::string row;
    append_be64(row, m.applied_index);
    append_be64(row, m.revision);
    append_be64(row, m.keys);
    append_be64(row, m.bytes);
    append_be64(row, session_clock_);
    db_->put(tables::kv_meta, meta_key, row);
}

void KvStore::write_session(std::uint64_t client) {
    auto it = sessions_.find(client);
    if (it == sessions_.end()) return db_->del(tables::kv_sessions, encode_be64(client));
    std::string row = encode_be64(it->second.seq);
    append_be64(row, it->second.touched);
    row.push_back(it->second.result.ok ? 1 : 0);
    append_be64(row, it->second.result.revision);
    db_->put(tables::kv_sessions, encode_be64(client), row);
}

KvResult KvStore::apply(std::uint64_t index, const KvCommand& cmd) {
    RAFT_ASSERT(index > meta_.applied_index, "entries are applied once, in log order");
    StateDb::AutoBatch batch(*db_);
    Meta m = meta_;
    m.applied_index = index;
    KvResult r;
    if (cmd.request.client != 0) {
        auto it = sessions_.find(cmd.request.client);
        if (it != sessions_.end() && cmd.request.seq <= it->second.seq) {
            r = it->second.result;
            r.duplicate = true;
            write_meta(m);
            batch.done(index);
            meta_ = m;
            return r;
        }
    }
    const std::string tkey = table_key(cmd.key);
    const auto row = db_->get(tables::kv, tkey);
    std::uint64_t current = 0, created = 0;
    std::size_t old_bytes = 0;
    if (row) {
        const Row old = decode_row(tkey, *row, false);
        current = old.value.revision;
        created = old.value.create_revision;
        old_bytes = old.key_and_value_bytes;
    }
    if (cmd.prev_revision && *cmd.prev_revision != current) {
        r = KvResult{false, current};
    } else if (cmd.op == KvCommand::Op::put) {
        ++m.revision;
        const KvValue v{cmd.value, m.revision, created ? created : m.revision};
        db_->put(tables::kv, tkey, encode_row(cmd.key, v));
        if (!row) ++m.keys;
        m.bytes = m.bytes - old_bytes + cmd.key.size() + cmd.value.size();
        r = KvResult{true, m.revision};
    } else if (!row) {
        r = KvResult{true, m.revision};  // deleting nothing changes nothing
    } else {
        db_->del(tables::kv, tkey);
        --m.keys;
        m.bytes -= old_bytes;
        r = KvResult{true, ++m.revision};
    }
    if (cmd.request.client != 0) remember(cmd.request.client, cmd.request.seq, r);
    write_meta(m);  // after remember: the row holds the session clock
    batch.done(index);
    meta_ = m;
    return r;
}

void KvStore::remember(std::uint64_t client, std::uint64_t seq, const KvResult& r) {
    Session& s = sessions_[client];
    if (s.touched) session_age_.erase(s.touched);
    s.seq = seq;
    s.result = r;
    s.touched = ++session_clock_;
    session_age_[s.touched] = client;
    write_session(client);
    while (sessions_.size() > kv_sessions_max) {
        auto oldest = session_age_.begin();
        const std::uint64_t gone = oldest->second;
        sessions_.erase(gone);
        session_age_.erase(oldest);
        write_session(gone);
    }
}

std::optional<KvValue> KvStore::get(const std::string& key) const {
    if (key.empty()) return std::nullopt;
    const std::string tkey = table_key(key);
    const auto row = db_->get(tables::kv, tkey);
    if (!row) return std::nullopt;
    Row r = decode_row(tkey, *row);
    // Two long keys with one hash would be SHA-256's first collision: still, never the wrong value.
    if (r.key != key) return std::nullopt;
    return std::move(r.value);
}

void KvCodec::save(const KvStore& m, schema::StateSnapshot::Builder s) {
    s.setAppliedIndex(m.meta_.applied_index);
    s.setRevision(m.meta_.revision);
    auto kv = s.initKv(static_cast<unsigned>(m.meta_.keys));
    unsigned i = 0;
    m.db_->scan(tables::kv, {}, {}, [&](std::string_view k, std::string_view row) {
        RAFT_ASSERT(i < m.meta_.keys, "the key count matches the table");
        const Row r = decode_row(k, row);
        auto p = kv[i++];
        p.setKey(r.key);
        p.setValue(bytes_of(r.value.value));
        p.setRevision(r.value.revision);
        p.setCreateRevision(r.value.create_revision);
        return true;
    });
    RAFT_ASSERT(i == m.meta_.keys, "the key count matches the table");
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

// Writes into `m`'s db, whose batch the caller opened and commits (or aborts on an error).
std::optional<std::string> KvCodec::load(KvStore& m, schema::StateSnapshot::Reader s) {
    RAFT_ASSERT(m.db_->in_batch(), "a restore writes into a batch");
    KvStore::Meta meta{s.getAppliedIndex(), s.getRevision(), 0, 0};
    std::unordered_map<std::uint64_t, KvStore::Session> sessions;
    std::map<std::uint64_t, std::uint64_t> age;
    std::uint64_t clock = 0;
    // A snapshot from before sessions were bounded has no `touched`: they count in client
    // order, and the newest ones are kept.
    for (auto c : s.getSessions()) {
        const std::uint64_t touched = c.getTouched() ? c.getTouched() : clock + 1;
        if (age.count(touched) || sessions.count(c.getClient()))
            return "client session " + std::to_string(c.getClient()) +
                   " is listed twice, or its use order repeats another's";
        sessions[c.getClient()] = KvStore::Session{c.getSeq(), KvResult{c.getOk(), c.getRevision()}, touched};
        age[touched] = c.getClient();
        clock = std::max(clock, touched);
    }
    while (sessions.size() > kv_sessions_max) {
        auto oldest = age.begin();
        sessions.erase(oldest->second);
        age.erase(oldest);
    }
    m.db_->clear_table(tables::kv);
    for (auto p : s.getKv()) {
        KvValue v{string_of(p.getValue()), p.getRevision(), p.getCreateRevision()};
        if (v.revision > meta.revision || v.revision == 0)
            return "key revision " + std::to_string(v.revision) + " beyond the snapshot's revision";
        std::string key(p.getKey().cStr());
        KvCommand probe{KvCommand::Op::put, {}, key, {}, std::nullopt};
        if (auto why = check_command(probe)) return "a key of the snapshot: " + *why;
        if (v.value.size() > kv_value_bytes_max)
            return "the value of key '" + key.substr(0, 64) + "' is " + std::to_string(v.value.size()) +
                   " bytes, more than " + std::to_string(kv_value_bytes_max);
        const std::string tkey = table_key(key);
        if (m.db_->get(tables::kv, tkey)) return "key '" + key.substr(0, 64) + "' is listed twice";
        m.db_->put(tables::kv, tkey, encode_row(key, v));
        ++meta.keys;
        meta.bytes += key.size() + v.value.size();
    }
    m.meta_ = meta;
    m.sessions_ = std::move(sessions);
    m.session_age_ = std::move(age);
    m.session_clock_ = clock;
    m.write_meta(meta);
    m.db_->clear_table(tables::kv_sessions);
    for (const auto& [client, sess] : m.sessions_) m.write_session(client);
    return std::nullopt;
}

std::string KvStore::snapshot() const {
    capnp::MallocMessageBuilder mb;
    KvCodec::save(*this, mb.initRoot<schema::StateSnapshot>());
    return raft::detail::to_bytes(mb);
}

std::optional<std::string> KvStore::restore(const std::string& bytes) {
    std::string error;
    StateDb::AutoBatch batch(*db_);
    auto done = raft::detail::decode_root<schema::StateSnapshot>(
        bytes, error, "state snapshot", [&](schema::StateSnapshot::Reader s) -> std::optional<bool> {
            if (auto e = KvCodec::load(*this, s)) {
                error = *e;
                return std::nullopt;
            }
            return true;
        });
    if (!done) return error;
    batch.done(meta_.applied_index);
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
