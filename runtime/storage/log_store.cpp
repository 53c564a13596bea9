#include "runtime/storage/log_store.hpp"

#include <algorithm>
#include <cstring>

#include "runtime/common/crc32c.hpp"
#include "runtime/raft/codec.hpp"
#include "runtime/raft/log.hpp"

namespace raftor::storage {

namespace {

constexpr const char* key_hard_state = "hard_state";
constexpr const char* key_snapshot_meta = "snapshot_meta";
constexpr const char* key_snapshot_data = "snapshot_data";
constexpr const char* key_format = "format";
// 1: entries in LMDB's "log" table (migrated on open); 2: entries in the WAL.
constexpr std::string_view format_v1 = "raftor-log-1";
constexpr std::string_view format_version = "raftor-log-2";

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

// The snapshot's metadata, checksum verified (nothing when there is no snapshot).
Status read_snapshot_meta(MDB_txn* txn, MDB_dbi db, std::optional<raft::SnapshotMeta>& out) {
    out.reset();
    std::optional<std::string_view> rec;
    if (auto st = get(txn, db, key_snapshot_meta, rec); !st.ok()) return st;
    if (!rec) return {};
    std::string error;
    auto body = unsealed(*rec);
    out = body ? raft::decode_snapshot_meta(*body, error) : std::nullopt;
    if (!out) return {Errc::corrupt, "snapshot metadata: " + (body ? error : std::string("checksum mismatch"))};
    return {};
}

}  // namespace

std::vector<std::pair<std::string, std::string>> LogStore::figures() const {
    return {{"groupCommits", std::to_string(stats_.commits)},
            {"lmdbTransactions", std::to_string(stats_.transactions)},
            {"walSyncs", std::to_string(wal_->stats().syncs)},
            {"walSegments", std::to_string(wal_->segment_count())},
            {"deferredCommitIndexWrites", std::to_string(stats_.deferred)}};
}

std::unique_ptr<LogStore> LogStore::open(const Options& opts, Status& status) {
    std::unique_ptr<LogStore> s(new LogStore());
    // One process per data dir: a second writer would interleave WAL records.
    if (status = s->lock_.acquire(opts.dir); !status.ok()) return nullptr;
    std::string format;
    if (status = s->open_lmdb(opts, format); !status.ok()) return nullptr;
    s->wal_ = Wal::open(WalOptions{opts.dir + "/wal", opts.wal_segment_bytes, opts.sync}, status);
    if (!s->wal_) return nullptr;
    s->repaired_ = s->wal_->repaired();
    if (format == format_v1)
        if (status = s->migrate_v1(); !status.ok()) return nullptr;
    {
        Txn txn;
        if (status = txn.begin(s->env_.get(), true); !status.ok()) return nullptr;
        std::optional<raft::SnapshotMeta> meta;
        if (status = read_snapshot_meta(txn.get(), s->meta_db_, meta); !status.ok()) return nullptr;
        if (meta) {
            s->snapshot_index_ = meta->index;
            s->snapshot_term_ = meta->term;
        }
        std::optional<std::string_view> rec;
        if (status = get(txn.get(), s->meta_db_, key_hard_state, rec); !status.ok()) return nullptr;
        std::string error;
        if (auto body = rec ? unsealed(*rec) : std::nullopt)
            if (auto hs = raft::decode_hard_state(*body, error)) s->durable_hs_ = *hs;
    }
    if (status = s->reconcile_with_snapshot(); !status.ok()) return nullptr;
    s->refresh_bounds();
    return s;
}

Status LogStore::open_lmdb(const Options& opts, std::string& format) {
    if (auto st = env_.open(opts.dir, opts.map_size_bytes, opts.sync, 8); !st.ok()) return st;
    Txn txn;
    if (auto st = txn.begin(env_.get(), false); !st.ok()) return st;
    if (int rc = mdb_dbi_open(txn.get(), "meta", MDB_CREATE, &meta_db_); rc != 0)
        return Status::from_mdb(rc, "open meta table");
    std::optional<std::string_view> fmt;
    if (auto st = get(txn.get(), meta_db_, key_format, fmt); !st.ok()) return st;
    if (!fmt) {
        if (auto st = put(txn.get(), meta_db_, key_format, format_version, 0, "write format"); !st.ok()) return st;
        format = format_version;
    } else if (*fmt == format_version || *fmt == format_v1) {
        format = *fmt;
    } else {
        return {Errc::corrupt, opts.dir + ": unknown storage format '" + std::string(*fmt) + "'"};
    }
    return txn.commit();
}

// Format 1 kept entries in LMDB. They move to the WAL, then the table goes and the
// format is bumped in one transaction; a crash in between repeats the move.
Status LogStore::migrate_v1() {
    Txn txn;
    if (auto st = txn.begin(env_.get(), false); !st.ok()) return st;
    MDB_dbi log_db = 0;
    if (int rc = mdb_dbi_open(txn.get(), "log", 0, &log_db); rc != 0 && rc != MDB_NOTFOUND)
        return Status::from_mdb(rc, "open format-1 log table");
    else if (rc == 0) {
        std::optional<raft::SnapshotMeta> meta;
        if (auto st = read_snapshot_meta(txn.get(), meta_db_, meta); !st.ok()) return st;
        std::vector<raft::Entry> entries;
        std::string error;
        Cursor cur;
        if (int c = mdb_cursor_open(txn.get(), log_db, &cur.c); c != 0) return Status::from_mdb(c, "open cursor");
        MDB_val k{}, v{};
        for (int r = mdb_cursor_get(cur.c, &k, &v, MDB_FIRST); r == 0; r = mdb_cursor_get(cur.c, &k, &v, MDB_NEXT)) {
            const raft::Index i = key_index(k);
            if (meta && i <= meta->index) continue;
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
        if (auto st = wal_->reset(); !st.ok()) return st;
        if (!tail.empty())
            if (auto st = wal_->write(tail.front()->index, tail); !st.ok()) return st;
        if (int r = mdb_drop(txn.get(), log_db, 1); r != 0) return Status::from_mdb(r, "drop format-1 log table");
        repaired_ = "moved " + std::to_string(entries.size()) + " log entries from LMDB to the WAL (format 1 to 2)";
    }
    if (auto st = put(txn.get(), meta_db_, key_format, format_version, 0, "write format"); !st.ok()) return st;
    return txn.commit();
}

// A crash between a snapshot from the leader and the WAL reset leaves entries the
// snapshot replaced. Entries continue a snapshot only when the WAL holds its last
// entry with its term (log matching); otherwise they are stale and go.
Status LogStore::reconcile_with_snapshot() {
    if (snapshot_index_ == 0 || wal_->empty()) return {};
    const raft::Index wf = wal_->first_index(), wl = wal_->last_index();
    if (wf > snapshot_index_ + 1)
        return {Errc::corrupt, "log entry " + std::to_string(wf) + ": gap, expected " +
                                   std::to_string(snapshot_index_ + 1) + " after the snapshot"};
    if (wf == snapshot_index_ + 1 || wal_->term_at(snapshot_index_) == snapshot_term_) return {};
    if (auto st = wal_->reset(); !st.ok()) return st;
    repaired_ = "discarded log entries " + std::to_string(wf) + ".." + std::to_string(wl) + " that the snapshot at " +
                std::to_string(snapshot_index_) + " replaced";
    return {};
}

void LogStore::refresh_bounds() {
    const raft::Index wl = wal_->last_index();
    if (wl <= snapshot_index_) {
        first_index_ = last_index_ = 0;
        return;
    }
    first_index_ = std::max(wal_->first_index(), snapshot_index_ + 1);
    last_index_ = wl;
}

Status LogStore::commit_lmdb(const std::optional<raft::HardState>& hs, const raft::Snapshot* snapshot,
                             raft::Index kept_last) {
    Txn txn;
    if (auto st = txn.begin(env_.get(), false); !st.ok()) return st;
    if (snapshot) {
        if (!snapshot->data) return {Errc::invalid, "snapshot without data"};
        if (auto st = put(txn.get(), meta_db_, key_snapshot_data, *snapshot->data, 0, "write snapshot data"); !st.ok())
            return st;
        if (auto st = put(txn.get(), meta_db_, key_snapshot_meta, sealed(raft::encode_snapshot_meta(snapshot->meta)), 0,
                          "write snapshot meta");
            !st.ok())
            return st;
    }
    std::optional<raft::HardState> written;
    if (hs) {
        // Never a commit index beyond the entries already durable and kept: those of
        // this write follow in the WAL (after it cuts what they replace), and a crash
        // before them must still load.
        written = *hs;
        const raft::Index durable_last =
            snapshot ? snapshot->meta.index : std::min(std::max(last_index_, snapshot_index_), kept_last);
        written->commit = std::min(written->commit, durable_last);
        if (auto st = put(txn.get(), meta_db_, key_hard_state, sealed(raft::encode_hard_state(*written)), 0,
                          "write hard state");
            !st.ok())
            return st;
    }
    if (auto st = txn.commit(); !st.ok()) return st;
    ++stats_.transactions;
    if (snapshot) {
        snapshot_index_ = snapshot->meta.index;
        snapshot_term_ = snapshot->meta.term;
    }
    if (written) {
        durable_hs_ = written;
        if (*written == *hs)
            deferred_hs_.reset();
        else
            deferred_hs_ = hs;
    }
    return {};
}

Status LogStore::write(const std::vector<const WriteBatch*>& batches) {
    // Entries need the WAL; a new term or vote, or a snapshot, need an LMDB transaction.
    std::optional<raft::HardState> last_hs = deferred_hs_ ? deferred_hs_ : durable_hs_;
    bool entries = false, snapshot = false, term_or_vote = false;
    for (const WriteBatch* b : batches) {
        entries = entries || !b->entries.empty();
        snapshot = snapshot || b->snapshot.has_value();
        if (b->hard_state) {
            if (!last_hs || b->hard_state->term != last_hs->term || b->hard_state->vote != last_hs->vote)
                term_or_vote = true;
            last_hs = b->hard_state;
        }
    }
    if (!entries && !snapshot && !term_or_vote) {
        if (last_hs && !(durable_hs_ && *last_hs == *durable_hs_)) deferred_hs_ = last_hs;
        ++stats_.deferred;
        return {};
    }
    return commit(batches, last_hs, term_or_vote);
}

Status LogStore::commit(const std::vector<const WriteBatch*>& batches, const std::optional<raft::HardState>& last_hs,
                        bool term_or_vote) {
    // Fold the batches into the newest snapshot and one run of entries from `cut` on.
    const raft::Snapshot* snapshot = nullptr;
    raft::Index floor = snapshot_index_;
    raft::Index next = std::max(last_index_, snapshot_index_) + 1;
    raft::Index cut = next;
    std::vector<const raft::Entry*> tail;
    std::uint64_t count = 0;
    for (const WriteBatch* b : batches) {
        if (b->snapshot) {
            if (!b->snapshot->data) return {Errc::invalid, "snapshot without data"};
            snapshot = &*b->snapshot;
            floor = snapshot->meta.index;
            next = cut = floor + 1;
            tail.clear();
        }
        if (b->entries.empty()) continue;
        const raft::Index f = b->entries.front().index;
        if (f <= floor)
            return {Errc::invalid,
                    "entry " + std::to_string(f) + " is covered by the snapshot at " + std::to_string(floor)};
        if (f > next)
            return {Errc::invalid, "entry " + std::to_string(f) + " leaves a gap after " + std::to_string(next - 1)};
        if (f < cut) {
            cut = f;
            tail.clear();
        } else {
            tail.resize(f - cut);
        }
        for (const raft::Entry& e : b->entries) {
            if (e.index != cut + tail.size()) return {Errc::invalid, "entries in a batch are not contiguous"};
            tail.push_back(&e);
        }
        next = cut + tail.size();
        count += b->entries.size();
    }
    auto fail = [this](Status st) {
        if (st.code == Errc::map_full) ++stats_.map_full_errors;
        refresh_bounds();
        return st;
    };
    if (term_or_vote || snapshot) {
        if (auto st = commit_lmdb(last_hs, snapshot, cut - 1); !st.ok()) return fail(st);
    }
    if (snapshot)
        if (auto st = wal_->reset(); !st.ok()) return fail(st);
    const std::uint64_t bytes = wal_->stats().bytes_written;
    if (auto st = wal_->write(cut, tail); !st.ok()) return fail(st);
    refresh_bounds();
    if (!term_or_vote && !snapshot && last_hs && !(durable_hs_ && *last_hs == *durable_hs_)) deferred_hs_ = last_hs;
    ++stats_.commits;
    stats_.entries_written += count;
    stats_.bytes_written += wal_->stats().bytes_written - bytes;
    return {};
}

Status LogStore::flush() {
    if (!deferred_hs_) return {};
    if (auto st = commit_lmdb(deferred_hs_, nullptr); !st.ok()) return st;
    ++stats_.commits;
    return {};
}

Status LogStore::save_snapshot(const raft::SnapshotMeta& meta, const std::string& data) {
    const raft::Snapshot snap{meta, std::make_shared<const std::string>(data)};
    if (auto st = commit_lmdb(std::nullopt, &snap); !st.ok()) {
        if (st.code == Errc::map_full) ++stats_.map_full_errors;
        return st;
    }
    ++stats_.commits;
    auto st = wal_->release_to(meta.index);
    refresh_bounds();
    return st;
}

namespace {
// Hard state and snapshot from the `meta` table, every checksum verified.
Status load_meta(MDB_txn* txn, MDB_dbi db, Loaded& out) {
    std::string error;
    std::optional<std::string_view> rec;
    if (auto st = get(txn, db, key_hard_state, rec); !st.ok()) return st;
    if (rec) {
        auto body = unsealed(*rec);
        auto hs = body ? raft::decode_hard_state(*body, error) : std::nullopt;
        if (!hs) return {Errc::corrupt, "hard state: " + (body ? error : std::string("checksum mismatch"))};
        out.hard_state = *hs;
    }
    std::optional<raft::SnapshotMeta> meta;
    if (auto st = read_snapshot_meta(txn, db, meta); !st.ok()) return st;
    if (meta) {
        out.snapshot = *meta;
        std::optional<std::string_view> data;
        if (auto st = get(txn, db, key_snapshot_data, data); !st.ok()) return st;
        if (!data || data->size() != meta->size || crc32c(*data) != meta->checksum)
            return {Errc::corrupt, "snapshot at index " + std::to_string(meta->index) + ": data checksum mismatch"};
        out.snapshot_data = std::make_shared<const std::string>(*data);
    }
    return {};
}
}  // namespace

Status LogStore::read_entries(raft::Index from, std::size_t count, std::size_t bytes,
                              std::vector<raft::Entry>& out) const {
    if (last_index_ == 0 || from < first_index_ || from > last_index_)
        return {Errc::invalid, "log entry " + std::to_string(from) + ": not in the stored log [" +
                                   std::to_string(first_index_) + ", " + std::to_string(last_index_) + "]"};
    return wal_->read(from, out, count, bytes);
}

Status LogStore::load(Loaded& out, std::size_t payload_bytes_max) const {
    out = Loaded{};
    Txn txn;
    if (auto st = txn.begin(env_.get(), true); !st.ok()) return st;
    if (auto st = load_meta(txn.get(), meta_db_, out); !st.ok()) return st;
    if (last_index_ != 0) {
        raft::PayloadWindow window(payload_bytes_max != 0 ? payload_bytes_max : SIZE_MAX);
        for (raft::Index next = first_index_; next <= last_index_;) {
            const std::size_t had = out.entries.size();
            if (auto st = wal_->read(next, out.entries, SIZE_MAX, 4u << 20); !st.ok()) return st;
            if (out.entries.size() == had) break;  // checked below
            window.take(out.entries);
            next = out.entries.back().index + 1;
        }
        if (payload_bytes_max != 0) out.cached_from = window.cached_from(out.entries);
        const raft::Index expect = out.snapshot.index + 1;
        if (out.entries.empty() || out.entries.front().index != expect)
            return {Errc::corrupt,
                    "log entry " + std::to_string(first_index_) + ": gap, expected " + std::to_string(expect)};
    }
    if (out.hard_state.commit > out.snapshot.index + out.entries.size())
        return {Errc::corrupt, "hard state commit " + std::to_string(out.hard_state.commit) + " is beyond the log"};
    return {};
}

Status LogStore::read_copy(const std::string& dir, Loaded& out) {
    out = Loaded{};
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
    return load_meta(txn.get(), db, out);
}

Status LogStore::copy_to(const std::string& dir) const {
    // One read transaction: a consistent copy while writers go on; free pages dropped.
    return Status::from_mdb(mdb_env_copy2(env_.get(), dir.c_str(), MDB_CP_COMPACT), "copy the LMDB environment");
}

}  // namespace raftor::storage
