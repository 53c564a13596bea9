#include "runtime/storage/state_store_lmdb.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace raftor::storage {

namespace {

constexpr std::string_view applied_key = "applied";

std::string encode_u64(std::uint64_t v) {
    std::string out(8, '\0');
    for (int i = 7; i >= 0; --i, v >>= 8) out[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xFF);
    return out;
}

Status get_in(MDB_txn* txn, MDB_dbi db, TableId table, std::string_view key, std::optional<std::string_view>& out) {
    out.reset();
    if (auto st = check_state_key(key); !st.ok()) return st;
    const std::string k = state_full_key(table, key);
    MDB_val mk = val(k), mv{};
    const int rc = mdb_get(txn, db, &mk, &mv);
    if (rc == MDB_NOTFOUND) return {};
    if (rc != MDB_SUCCESS) return Status::from_mdb(rc, "read a state key");
    out = view(mv);
    return {};
}

Status scan_in(MDB_txn* txn, MDB_dbi db, TableId table, std::string_view from, std::string_view to, const ScanFn& f) {
    MDB_cursor* cur = nullptr;
    if (int rc = mdb_cursor_open(txn, db, &cur); rc != MDB_SUCCESS) return Status::from_mdb(rc, "open a cursor");
    const std::string start = state_full_key(table, from);
    const std::string end = to.empty() ? std::string() : state_full_key(table, to);
    MDB_val mk = val(start), mv{};
    Status st;
    for (int rc = mdb_cursor_get(cur, &mk, &mv, MDB_SET_RANGE);; rc = mdb_cursor_get(cur, &mk, &mv, MDB_NEXT)) {
        if (rc == MDB_NOTFOUND) break;
        if (rc != MDB_SUCCESS) {
            st = Status::from_mdb(rc, "scan state keys");
            break;
        }
        const std::string_view k = view(mk);
        if (k.empty() || static_cast<TableId>(k[0]) != table) break;
        if (!end.empty() && k >= end) break;
        if (!f(k.substr(1), view(mv))) break;
    }
    mdb_cursor_close(cur);
    return st;
}

std::uint64_t applied_in(MDB_txn* txn, MDB_dbi db, Status& st) {
    std::optional<std::string_view> v;
    st = get_in(txn, db, store_table, applied_key, v);
    if (!st.ok() || !v) return 0;
    if (v->size() != 8) {
        st = {Errc::corrupt, "the state's applied index is " + std::to_string(v->size()) + " bytes, not 8"};
        return 0;
    }
    std::uint64_t out = 0;
    for (char c : *v) out = out << 8 | static_cast<unsigned char>(c);
    return out;
}

// What a view and the write read alike: through their transaction.
template <class Base>
class LmdbReading : public Base {
public:
    explicit LmdbReading(MDB_dbi db) : db_(db) {}
    Txn& txn() { return txn_; }
    Status get(TableId table, std::string_view key, std::optional<std::string_view>& out) const override {
        return get_in(txn_.get(), db_, table, key, out);
    }
    Status scan(TableId table, std::string_view from, std::string_view to, const ScanFn& f) const override {
        return scan_in(txn_.get(), db_, table, from, to, f);
    }
    std::uint64_t applied_index() const override { return applied_; }
    void set_applied(std::uint64_t a) { applied_ = a; }

protected:
    Txn txn_;
    MDB_dbi db_;
    std::uint64_t applied_ = 0;
};

using LmdbView = LmdbReading<StateRead>;

class LmdbWrite final : public LmdbReading<StateWrite> {
public:
    LmdbWrite(MDB_dbi db, std::atomic<bool>& writing, const LmdbStateStore* owner)
        : LmdbReading(db), writing_(writing), owner_(owner) {}
    ~LmdbWrite() override {
        txn_.abort();
        writing_ = false;
    }
    const LmdbStateStore* owner() const { return owner_; }
    Status put(TableId table, std::string_view key, std::string_view value) override {
        if (auto st = check_state_key(key); !st.ok()) return st;
        const std::string k = state_full_key(table, key);
        MDB_val mk = val(k), mv = val(value);
        return Status::from_mdb(mdb_put(txn_.get(), db_, &mk, &mv, 0), "write a state key");
    }
    Status del(TableId table, std::string_view key) override {
        if (auto st = check_state_key(key); !st.ok()) return st;
        const std::string k = state_full_key(table, key);
        MDB_val mk = val(k);
        const int rc = mdb_del(txn_.get(), db_, &mk, nullptr);
        return rc == MDB_NOTFOUND ? Status{} : Status::from_mdb(rc, "delete a state key");
    }
    // The applied index goes too; the commit writes it again.
    Status clear() override {
        set_applied(0);
        return Status::from_mdb(mdb_drop(txn_.get(), db_, 0), "clear the state");
    }

private:
    std::atomic<bool>& writing_;
    const LmdbStateStore* owner_;
};

}  // namespace

std::unique_ptr<LmdbStateStore> LmdbStateStore::open(const std::string& dir, std::size_t map_size_bytes, bool sync,
                                                     Status& status) {
    std::unique_ptr<LmdbStateStore> s(new LmdbStateStore());
    s->dir_ = dir;
    if (status = s->env_.open(dir, map_size_bytes, sync, 1); !status.ok()) return nullptr;
    Txn txn;
    if (status = txn.begin(s->env_.get(), false); !status.ok()) return nullptr;
    if (int rc = mdb_dbi_open(txn.get(), "state", MDB_CREATE, &s->db_); rc != MDB_SUCCESS) {
        status = Status::from_mdb(rc, "open the state table in " + dir);
        return nullptr;
    }
    if (status = txn.commit(); !status.ok()) return nullptr;
    return s;
}

std::unique_ptr<StateRead> LmdbStateStore::read(Status& status) {
    auto v = std::make_unique<LmdbView>(db_);
    if (status = v->txn().begin(env_.get(), true); !status.ok()) return nullptr;
    const std::uint64_t applied = applied_in(v->txn().get(), db_, status);
    if (!status.ok()) return nullptr;
    v->set_applied(applied);
    return v;
}

std::unique_ptr<StateWrite> LmdbStateStore::write(Status& status) {
    // LMDB would make a second writer wait for the first: on the same thread, for ever.
    if (writing_.exchange(true)) {
        status = {Errc::invalid, "a state write is already open"};
        return nullptr;
    }
    auto w = std::make_unique<LmdbWrite>(db_, writing_, this);
    if (status = w->txn().begin(env_.get(), false); !status.ok()) return nullptr;
    const std::uint64_t applied = applied_in(w->txn().get(), db_, status);
    if (!status.ok()) return nullptr;
    w->set_applied(applied);
    return w;
}

Status LmdbStateStore::commit(std::unique_ptr<StateWrite> write, std::uint64_t applied_index) {
    auto* w = dynamic_cast<LmdbWrite*>(write.get());
    if (w == nullptr || w->owner() != this) return {Errc::invalid, "a write of another store"};
    if (applied_index < w->applied_index())
        return {Errc::invalid, "the applied index would go back from " + std::to_string(w->applied_index()) + " to " +
                                   std::to_string(applied_index)};
    if (auto st = w->put(store_table, applied_key, encode_u64(applied_index)); !st.ok()) return st;
    return w->txn().commit();
}

Status LmdbStateStore::reserve(std::uint64_t bytes) {
    MDB_envinfo info{};
    MDB_stat stat{};
    mdb_filehandle_t fd{};
    if (int rc = mdb_env_info(env_.get(), &info); rc != MDB_SUCCESS)
        return Status::from_mdb(rc, "read the state's size");
    if (int rc = mdb_env_stat(env_.get(), &stat); rc != MDB_SUCCESS)
        return Status::from_mdb(rc, "read the state's size");
    if (int rc = mdb_env_get_fd(env_.get(), &fd); rc != MDB_SUCCESS)
        return Status::from_mdb(rc, "find the state's file");
    const std::uint64_t used = (static_cast<std::uint64_t>(info.me_last_pgno) + 1) * stat.ms_psize;
    // The file only grows: within what it was last seen to hold, no system call.
    if (used + bytes <= file_bytes_) return {};
    if (used + bytes > info.me_mapsize)
        return {Errc::map_full, "the state's map of " + std::to_string(info.me_mapsize) + " bytes has no room for " +
                                    std::to_string(bytes) + " more after the " + std::to_string(used) + " in use"};
    struct stat file {};
    if (::fstat(fd, &file) != 0) return Status::from_errno(errno, "read the size of the state's file in " + dir_);
    const auto size = static_cast<std::uint64_t>(file.st_size);
    file_bytes_ = size;
    if (size >= used + bytes) return {};
    int err = 0;
    for (std::uint64_t want : {std::min<std::uint64_t>(used + 2 * bytes, info.me_mapsize), used + bytes}) {
        if (want <= size) continue;
        err = ::posix_fallocate(fd, static_cast<off_t>(size), static_cast<off_t>(want - size));
        if (err == 0) {
            file_bytes_ = want;
            return {};
        }
    }
    struct statvfs fsys {};
    const std::uint64_t left = ::fstatvfs(fd, &fsys) == 0 ? std::uint64_t{fsys.f_bavail} * fsys.f_frsize : 0;
    return Status::from_errno(err, "reserve " + std::to_string(bytes) + " bytes for the state in " + dir_ + " (" +
                                       std::to_string(left) + " bytes free)");
}

}  // namespace raftor::storage
