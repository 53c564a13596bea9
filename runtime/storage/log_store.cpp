#include "runtime/storage/log_store.hpp"

#include <cstring>

#include "runtime/common/crc32c.hpp"
#include "runtime/raft/codec.hpp"

namespace raftor::storage {

namespace {

constexpr const char* key_hard_state = "hard_state";
constexpr const char* key_snapshot_meta = "snapshot_meta";
constexpr const char* key_snapshot_data = "snapshot_data";
constexpr const char* key_format = "format";
constexpr std::string_view format_version = "raftor-log-1";

// Big-endian keys sort by index under LMDB's default memcmp order.
std::string index_key(raft::Index i) {
    std::string k(8, '\0');
    for (int b = 7; b >= 0; --b, i >>= 8) k[static_cast<std::size_t>(b)] = static_cast<char>(i & 0xFF);
    return k;
}

raft::Index key_index(const MDB_val& k) {
    raft::Index i = 0;
    const auto* p = static_cast<const unsigned char*>(k.mv_data);
    for (std::size_t b = 0; b < 8 && b < k.mv_size; ++b) i = (i << 8) | p[b];
    return i;
}

// A record is its crc32c (little-endian) followed by the encoded bytes.
std::string sealed(const std::string& bytes) {
    const std::uint32_t c = crc32c(bytes);
    std::string out(4, '\0');
    for (int b = 0; b < 4; ++b) out[static_cast<std::size_t>(b)] = static_cast<char>((c >> (8 * b)) & 0xFF);
    return out + bytes;
}

std::optional<std::string_view> unsealed(std::string_view rec) {
    if (rec.size() < 4) return std::nullopt;
    std::uint32_t c = 0;
    for (int b = 3; b >= 0; --b) c = (c << 8) | static_cast<unsigned char>(rec[static_cast<std::size_t>(b)]);
    rec.remove_prefix(4);
    if (crc32c(rec) != c) return std::nullopt;
    return rec;
}

Status put(MDB_txn* txn, MDB_dbi db, std::string_view key, std::string_view value, unsigned flags, const char* what) {
    MDB_val k = val(key), v = val(value);
    return Status::from_mdb(mdb_put(txn, db, &k, &v, flags), what);
}

Status get(MDB_txn* txn, MDB_dbi db, std::string_view key, std::optional<std::string_view>& out) {
    MDB_val k = val(key), v{};
    const int rc = mdb_get(txn, db, &k, &v);
    out.reset();
    if (rc == MDB_NOTFOUND) return {};
    if (rc != 0) return Status::from_mdb(rc, std::string("read ") + std::string(key));
    out = view(v);
    return {};
}

struct Cursor {
    MDB_cursor* c = nullptr;
    ~Cursor() {
        if (c != nullptr) mdb_cursor_close(c);
    }
};

}  // namespace

WriteBatch WriteBatch::from(raft::Ready& rd) {
    return WriteBatch{std::move(rd.hard_state), std::move(rd.entries), std::move(rd.snapshot)};
}

std::unique_ptr<LogStore> LogStore::open(const Options& opts, Status& status) {
    std::unique_ptr<LogStore> s(new LogStore());
    status = s->env_.open(opts.dir, opts.map_size_bytes, opts.sync, 8);
    if (!status.ok()) return nullptr;
    Txn txn;
    if (status = txn.begin(s->env_.get(), false); !status.ok()) return nullptr;
    if (status = Status::from_mdb(mdb_dbi_open(txn.get(), "log", MDB_CREATE, &s->log_db_), "open log table");
        !status.ok())
        return nullptr;
    if (status = Status::from_mdb(mdb_dbi_open(txn.get(), "meta", MDB_CREATE, &s->meta_db_), "open meta table");
        !status.ok())
        return nullptr;
    std::optional<std::string_view> fmt;
    if (status = get(txn.get(), s->meta_db_, key_format, fmt); !status.ok()) return nullptr;
    if (!fmt) {
        if (status = put(txn.get(), s->meta_db_, key_format, format_version, 0, "write format"); !status.ok())
            return nullptr;
    } else if (*fmt != format_version) {
        status = {Errc::corrupt, opts.dir + ": unknown storage format '" + std::string(*fmt) + "'"};
        return nullptr;
    }
    if (status = txn.commit(); !status.ok()) return nullptr;
    if (status = s->scan_bounds(); !status.ok()) return nullptr;
    return s;
}

Status LogStore::scan_bounds() {
    Txn txn;
    if (auto st = txn.begin(env_.get(), true); !st.ok()) return st;
    Cursor cur;
    if (int rc = mdb_cursor_open(txn.get(), log_db_, &cur.c); rc != 0) return Status::from_mdb(rc, "open cursor");
    MDB_val k{}, v{};
    first_index_ = last_index_ = 0;
    if (mdb_cursor_get(cur.c, &k, &v, MDB_FIRST) == 0) first_index_ = key_index(k);
    if (mdb_cursor_get(cur.c, &k, &v, MDB_LAST) == 0) last_index_ = key_index(k);
    return {};
}

Status LogStore::delete_from(MDB_txn* txn, raft::Index from) const {
    Cursor cur;
    if (int rc = mdb_cursor_open(txn, log_db_, &cur.c); rc != 0) return Status::from_mdb(rc, "open cursor");
    const std::string start = index_key(from);
    MDB_val k = val(start), v{};
    // After a delete LMDB's cursor already stands on the next record; MDB_NEXT yields it.
    int rc = mdb_cursor_get(cur.c, &k, &v, MDB_SET_RANGE);
    while (rc == 0) {
        if (int d = mdb_cursor_del(cur.c, 0); d != 0) return Status::from_mdb(d, "truncate log");
        rc = mdb_cursor_get(cur.c, &k, &v, MDB_NEXT);
    }
    return rc == MDB_NOTFOUND ? Status{} : Status::from_mdb(rc, "truncate log");
}

Status LogStore::delete_to(MDB_txn* txn, raft::Index to_inclusive) const {
    Cursor cur;
    if (int rc = mdb_cursor_open(txn, log_db_, &cur.c); rc != 0) return Status::from_mdb(rc, "open cursor");
    MDB_val k{}, v{};
    int rc = mdb_cursor_get(cur.c, &k, &v, MDB_FIRST);
    while (rc == 0 && key_index(k) <= to_inclusive) {
        if (int d = mdb_cursor_del(cur.c, 0); d != 0) return Status::from_mdb(d, "compact log");
        rc = mdb_cursor_get(cur.c, &k, &v, MDB_NEXT);
    }
    return rc == 0 || rc == MDB_NOTFOUND ? Status{} : Status::from_mdb(rc, "compact log");
}

Status LogStore::put_snapshot(MDB_txn* txn, const raft::SnapshotMeta& meta, const std::string& data) const {
    if (auto st = put(txn, meta_db_, key_snapshot_data, data, 0, "write snapshot data"); !st.ok()) return st;
    return put(txn, meta_db_, key_snapshot_meta, sealed(raft::encode_snapshot_meta(meta)), 0, "write snapshot meta");
}

Status LogStore::write_batch(MDB_txn* txn, const WriteBatch& b, raft::Index& first, raft::Index& last) {
    if (b.snapshot) {
        if (!b.snapshot->data) return {Errc::invalid, "snapshot without data"};
        if (auto st = put_snapshot(txn, b.snapshot->meta, *b.snapshot->data); !st.ok()) return st;
        if (int rc = mdb_drop(txn, log_db_, 0); rc != 0) return Status::from_mdb(rc, "discard log for snapshot");
        first = last = 0;
    }
    if (!b.entries.empty()) {
        const raft::Index f = b.entries.front().index;
        if (last != 0 && f <= last) {
            if (auto st = delete_from(txn, f); !st.ok()) return st;
            last = f - 1;
            if (last < first) first = last = 0;
        }
        if (last != 0 && f != last + 1)
            return {Errc::invalid, "entry " + std::to_string(f) + " leaves a gap after " + std::to_string(last)};
        raft::Index expect = f;
        for (const raft::Entry& e : b.entries) {
            if (e.index != expect++) return {Errc::invalid, "entries in a batch are not contiguous"};
            const std::string rec = sealed(raft::encode_entry(e));
            if (auto st = put(txn, log_db_, index_key(e.index), rec, MDB_APPEND, "append log entry"); !st.ok())
                return st;
            stats_.bytes_written += rec.size();
        }
        if (first == 0) first = f;
        last = b.entries.back().index;
    }
    if (b.hard_state) {
        if (auto st = put(txn, meta_db_, key_hard_state, sealed(raft::encode_hard_state(*b.hard_state)), 0,
                          "write hard state");
            !st.ok())
            return st;
    }
    return {};
}

Status LogStore::write(const std::vector<const WriteBatch*>& batches) {
    // Only a new term or vote, entries or a snapshot need a transaction (and an fsync).
    std::optional<raft::HardState> last_hs = deferred_hs_ ? deferred_hs_ : durable_hs_;
    bool durable = false;
    for (const WriteBatch* b : batches) {
        if (!b->entries.empty() || b->snapshot) durable = true;
        if (b->hard_state) {
            if (!last_hs || b->hard_state->term != last_hs->term || b->hard_state->vote != last_hs->vote)
                durable = true;
            last_hs = b->hard_state;
        }
    }
    if (!durable) {
        if (last_hs && !(durable_hs_ && *last_hs == *durable_hs_)) deferred_hs_ = last_hs;
        ++stats_.deferred;
        return {};
    }
    return commit(batches, last_hs);
}

Status LogStore::flush() {
    return deferred_hs_ ? commit({}, deferred_hs_) : Status{};
}

Status LogStore::commit(const std::vector<const WriteBatch*>& batches, const std::optional<raft::HardState>& last_hs) {
    Txn txn;
    if (auto st = txn.begin(env_.get(), false); !st.ok()) return st;
    raft::Index first = first_index_, last = last_index_;
    std::uint64_t entries = 0;
    // The deferred commit index first: a batch's own hard state, if any, supersedes it.
    const WriteBatch deferred{deferred_hs_, {}, std::nullopt};
    auto fail = [this](Status st) {
        if (st.code == Errc::map_full) ++stats_.map_full_errors;
        return st;  // the transaction aborts: nothing of these batches is kept
    };
    if (auto st = write_batch(txn.get(), deferred, first, last); !st.ok()) return fail(st);
    for (const WriteBatch* b : batches) {
        if (auto st = write_batch(txn.get(), *b, first, last); !st.ok()) return fail(st);
        entries += b->entries.size();
    }
    if (auto st = txn.commit(); !st.ok()) return fail(st);
    first_index_ = first;
    last_index_ = last;
    durable_hs_ = last_hs;
    deferred_hs_.reset();
    ++stats_.commits;
    stats_.entries_written += entries;
    return {};
}

Status LogStore::save_snapshot(const raft::SnapshotMeta& meta, const std::string& data) {
    Txn txn;
    if (auto st = txn.begin(env_.get(), false); !st.ok()) return st;
    if (auto st = put_snapshot(txn.get(), meta, data); !st.ok()) return st;
    if (auto st = delete_to(txn.get(), meta.index); !st.ok()) return st;
    if (auto st = txn.commit(); !st.ok()) return st;
    ++stats_.commits;
    return scan_bounds();
}

Status LogStore::load(Loaded& out) const {
    out = Loaded{};
    Txn txn;
    if (auto st = txn.begin(env_.get(), true); !st.ok()) return st;
    std::string error;
    std::optional<std::string_view> rec;
    if (auto st = get(txn.get(), meta_db_, key_hard_state, rec); !st.ok()) return st;
    if (rec) {
        auto body = unsealed(*rec);
        auto hs = body ? raft::decode_hard_state(*body, error) : std::nullopt;
        if (!hs) return {Errc::corrupt, "hard state: " + (body ? error : std::string("checksum mismatch"))};
        out.hard_state = *hs;
    }
    if (auto st = get(txn.get(), meta_db_, key_snapshot_meta, rec); !st.ok()) return st;
    if (rec) {
        auto body = unsealed(*rec);
        auto meta = body ? raft::decode_snapshot_meta(*body, error) : std::nullopt;
        if (!meta) return {Errc::corrupt, "snapshot metadata: " + (body ? error : std::string("checksum mismatch"))};
        out.snapshot = *meta;
        std::optional<std::string_view> data;
        if (auto st = get(txn.get(), meta_db_, key_snapshot_data, data); !st.ok()) return st;
        if (!data || data->size() != meta->size || crc32c(*data) != meta->checksum)
            return {Errc::corrupt, "snapshot at index " + std::to_string(meta->index) + ": data checksum mismatch"};
        out.snapshot_data = std::make_shared<const std::string>(*data);
    }
    Cursor cur;
    if (int rc = mdb_cursor_open(txn.get(), log_db_, &cur.c); rc != 0) return Status::from_mdb(rc, "open cursor");
    MDB_val k{}, v{};
    raft::Index expect = out.snapshot.index + 1;
    for (int rc = mdb_cursor_get(cur.c, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur.c, &k, &v, MDB_NEXT)) {
        const raft::Index i = key_index(k);
        if (i <= out.snapshot.index) continue;  // covered by the snapshot
        auto body = unsealed(view(v));
        if (!body) return {Errc::corrupt, "log entry " + std::to_string(i) + ": checksum mismatch"};
        auto e = raft::decode_entry(*body, error);
        if (!e) return {Errc::corrupt, "log entry " + std::to_string(i) + ": " + error};
        if (e->index != i) return {Errc::corrupt, "log entry " + std::to_string(i) + ": stored under the wrong key"};
        if (i != expect)
            return {Errc::corrupt, "log entry " + std::to_string(i) + ": gap, expected " + std::to_string(expect)};
        ++expect;
        out.entries.push_back(std::move(*e));
    }
    if (out.hard_state.commit > out.snapshot.index + out.entries.size())
        return {Errc::corrupt, "hard state commit " + std::to_string(out.hard_state.commit) + " is beyond the log"};
    return {};
}

}  // namespace raftor::storage
