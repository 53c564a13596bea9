#include "runtime/storage/lmdb_meta_store.hpp"

#include "runtime/raft/codec.hpp"
#include "runtime/storage/sealed.hpp"
#include "runtime/storage/wal.hpp"

namespace raftor::storage {

namespace {

constexpr const char* key_hard_state = "hard_state";
constexpr const char* key_snapshot_meta = "snapshot_meta";
constexpr const char* key_snapshot_data = "snapshot_data";
constexpr const char* key_format = "format";
// 1: entries in LMDB's "log" table (migrated on open); 2: entries in the WAL.
constexpr std::string_view format_1 = "raftor-log-1";
constexpr std::string_view format_version = "raftor-log-2";

raft::Index key_index(const MDB_val& k) {
    raft::Index i = 0;
    const auto* p = static_cast<const unsigned char*>(k.mv_data);
    for (std::size_t b = 0; b < 8 && b < k.mv_size; ++b) i = (i << 8) | p[b];
    return i;
}

Status put(MDB_txn* txn, MDB_dbi db, std::string_view key, std::string_view value, const char* what) {
    MDB_val k = val(key), v = val(value);
    return Status::from_mdb(mdb_put(txn, db, &k, &v, 0), what);
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

Status read_records(MDB_txn* txn, MDB_dbi db, MetaRecords& out, bool with_data) {
    out = MetaRecords{};
    std::optional<std::string_view> rec;
    if (auto st = get(txn, db, key_hard_state, rec); !st.ok()) return st;
    if (rec) out.hard_state = std::string(*rec);
    if (auto st = get(txn, db, key_snapshot_meta, rec); !st.ok()) return st;
    if (rec) out.snapshot_meta = std::string(*rec);
    if (with_data && out.snapshot_meta) {
        if (auto st = get(txn, db, key_snapshot_data, rec); !st.ok()) return st;
        if (rec) out.snapshot_data = std::make_shared<const std::string>(*rec);
    }
    return {};
}

}  // namespace

std::unique_ptr<LmdbMetaStore> LmdbMetaStore::open(const std::string& dir, std::size_t map_size_bytes, bool sync,
                                                   Status& status) {
    std::unique_ptr<LmdbMetaStore> s(new LmdbMetaStore());
    if (status = s->env_.open(dir, map_size_bytes, sync, 8); !status.ok()) return nullptr;
    Txn txn;
    if (status = txn.begin(s->env_.get(), false); !status.ok()) return nullptr;
    if (int rc = mdb_dbi_open(txn.get(), "meta", MDB_CREATE, &s->meta_db_); rc != 0) {
        status = Status::from_mdb(rc, "open meta table");
        return nullptr;
    }
    std::optional<std::string_view> fmt;
    if (status = get(txn.get(), s->meta_db_, key_format, fmt); !status.ok()) return nullptr;
    if (!fmt) {
        if (status = put(txn.get(), s->meta_db_, key_format, format_version, "write format"); !status.ok())
            return nullptr;
    } else if (*fmt == format_1) {
        s->format_v1_ = true;
    } else if (*fmt != format_version) {
        status = {Errc::corrupt, dir + ": unknown storage format '" + std::string(*fmt) + "'"};
        return nullptr;
    }
    if (status = txn.commit(); !status.ok()) return nullptr;
    return s;
}

Status LmdbMetaStore::commit(const MetaWrite& w) {
    Txn txn;
    if (auto st = txn.begin(env_.get(), false); !st.ok()) return st;
    if (w.snapshot_data)
        if (auto st = put(txn.get(), meta_db_, key_snapshot_data, *w.snapshot_data, "write snapshot data"); !st.ok())
            return st;
    if (w.snapshot_meta)
        if (auto st = put(txn.get(), meta_db_, key_snapshot_meta, *w.snapshot_meta, "write snapshot meta"); !st.ok())
            return st;
    if (w.hard_state)
        if (auto st = put(txn.get(), meta_db_, key_hard_state, *w.hard_state, "write hard state"); !st.ok()) return st;
    return txn.commit();
}

Status LmdbMetaStore::read(MetaRecords& out, bool with_snapshot_data) const {
    Txn txn;
    if (auto st = txn.begin(env_.get(), true); !st.ok()) return st;
    return read_records(txn.get(), meta_db_, out, with_snapshot_data);
}

Status LmdbMetaStore::migrate_v1(Wal& wal, std::string& repaired) {
    Txn txn;
    if (auto st = txn.begin(env_.get(), false); !st.ok()) return st;
    MDB_dbi log_db = 0;
    if (int rc = mdb_dbi_open(txn.get(), "log", 0, &log_db); rc != 0 && rc != MDB_NOTFOUND)
        return Status::from_mdb(rc, "open format-1 log table");
    else if (rc == 0) {
        raft::Index covered = 0;  // by the snapshot: those entries are not moved
        std::optional<std::string_view> rec;
        if (auto st = get(txn.get(), meta_db_, key_snapshot_meta, rec); !st.ok()) return st;
        std::string error;
        if (rec) {
            auto body = unsealed(*rec);
            auto meta = body ? raft::decode_snapshot_meta(*body, error) : std::nullopt;
            if (!meta)
                return {Errc::corrupt, "snapshot metadata: " + (body ? error : std::string("checksum mismatch"))};
            covered = meta->index;
        }
        std::vector<raft::Entry> entries;
        Cursor cur;
        if (int c = mdb_cursor_open(txn.get(), log_db, &cur.c); c != 0) return Status::from_mdb(c, "open cursor");
        MDB_val k{}, v{};
        for (int r = mdb_cursor_get(cur.c, &k, &v, MDB_FIRST); r == 0; r = mdb_cursor_get(cur.c, &k, &v, MDB_NEXT)) {
            const raft::Index i = key_index(k);
            if (i <= covered) continue;
            auto body = unsealed(view(v));
            if (!body) return {Errc::corrupt, "format-1 log entry " + std::to_string(i) + ": checksum mismatch"};
            auto e = raft::decode_entry(*body, error);
            if (!e || e->index != i) return {Errc::corrupt, "format-1 log entry " + std::to_string(i) + ": " + error};
            if (!entries.empty() && i != entries.back().index + 1)
                return {Errc::corrupt, "format-1 log entry " + std::to_string(i) + ": gap"};
            entries.push_back(std::move(*e));
        }
        std::vector<const raft::Entry*> tail;
        for (const auto& e : entries) tail.push_back(&e);
        if (auto st = wal.reset(); !st.ok()) return st;
        if (!tail.empty())
            if (auto st = wal.write(tail.front()->index, tail); !st.ok()) return st;
        if (int r = mdb_drop(txn.get(), log_db, 1); r != 0) return Status::from_mdb(r, "drop format-1 log table");
        repaired = "moved " + std::to_string(entries.size()) + " log entries from LMDB to the WAL (format 1 to 2)";
    }
    if (auto st = put(txn.get(), meta_db_, key_format, format_version, "write format"); !st.ok()) return st;
    if (auto st = txn.commit(); !st.ok()) return st;
    format_v1_ = false;
    return {};
}

Status LmdbMetaStore::copy_to(const std::string& dir) const {
    // One read transaction: a consistent copy while writers go on; free pages dropped.
    return Status::from_mdb(mdb_env_copy2(env_.get(), dir.c_str(), MDB_CP_COMPACT), "copy the LMDB environment");
}

Status LmdbMetaStore::read_copy(const std::string& dir, MetaRecords& out) {
    Env env;
    if (auto st = env.open_read_only(dir, 8); !st.ok()) return st;
    Txn txn;
    if (auto st = txn.begin(env.get(), true); !st.ok()) return st;
    MDB_dbi db = 0;
    if (int rc = mdb_dbi_open(txn.get(), "meta", 0, &db); rc != 0)
        return rc == MDB_NOTFOUND ? Status{Errc::corrupt, "no 'meta' table: not a raftor store"}
                                  : Status::from_mdb(rc, "open meta table");
    std::optional<std::string_view> fmt;
    if (auto st = get(txn.get(), db, key_format, fmt); !st.ok()) return st;
    if (!fmt || *fmt != format_version)
        return {Errc::corrupt,
                "format '" + std::string(fmt.value_or("none")) + "', expected '" + std::string(format_version) + "'"};
    return read_records(txn.get(), db, out, true);
}

}  // namespace raftor::storage
