#include "runtime/storage/lmdb_env.hpp"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace raftor::storage {

Status Status::from_mdb(int rc, std::string_view what) {
    if (rc == MDB_SUCCESS) return {};
    Errc code = Errc::io;
    if (rc == MDB_MAP_FULL || rc == ENOSPC || rc == EDQUOT)
        code = Errc::map_full;
    else if (rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND || rc == MDB_INVALID)
        code = Errc::corrupt;
    return {code, std::string(what) + ": " + mdb_strerror(rc)};
}

Env::~Env() {
    if (env_ != nullptr) mdb_env_close(env_);
}

Status Env::open(const std::string& dir, std::size_t map_size_bytes, bool sync, unsigned max_dbs) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        return {Errc::io, "create data directory " + dir + ": " + std::strerror(errno)};
    if (int rc = mdb_env_create(&env_); rc != 0) return Status::from_mdb(rc, "mdb_env_create");
    if (int rc = mdb_env_set_mapsize(env_, map_size_bytes); rc != 0) return Status::from_mdb(rc, "set map size");
    if (int rc = mdb_env_set_maxdbs(env_, max_dbs); rc != 0) return Status::from_mdb(rc, "set max dbs");
    // NOTLS: read transactions may be used by whichever actor thread runs next.
    unsigned flags = MDB_NOTLS | MDB_NORDAHEAD;
    if (!sync) flags |= MDB_NOSYNC;
    if (int rc = mdb_env_open(env_, dir.c_str(), flags, 0600); rc != 0) {
        mdb_env_close(env_);
        env_ = nullptr;
        return Status::from_mdb(rc, "open LMDB environment in " + dir);
    }
    return {};
}

Status Env::open_read_only(const std::string& dir, unsigned max_dbs) {
    if (int rc = mdb_env_create(&env_); rc != 0) return Status::from_mdb(rc, "mdb_env_create");
    if (int rc = mdb_env_set_maxdbs(env_, max_dbs); rc != 0) return Status::from_mdb(rc, "set max dbs");
    if (int rc = mdb_env_open(env_, dir.c_str(), MDB_RDONLY | MDB_NOLOCK | MDB_NOTLS, 0600); rc != 0) {
        mdb_env_close(env_);
        env_ = nullptr;
        return Status::from_mdb(rc, "open LMDB environment in " + dir + " read-only");
    }
    return {};
}

Status Env::set_map_size(std::size_t bytes) {
    return Status::from_mdb(mdb_env_set_mapsize(env_, bytes), "resize LMDB map");
}

std::size_t Env::map_size() const {
    MDB_envinfo info{};
    mdb_env_info(env_, &info);
    return info.me_mapsize;
}

Status Txn::begin(MDB_env* env, bool read_only) {
    abort();
    return Status::from_mdb(mdb_txn_begin(env, nullptr, read_only ? MDB_RDONLY : 0, &txn_), "begin transaction");
}

namespace {

// What the file system holding `env` has left for us, in bytes (max when unknown).
std::uint64_t room_left(MDB_env* env) {
    mdb_filehandle_t fd{};
    struct statvfs st {};
    if (mdb_env_get_fd(env, &fd) != 0 || ::fstatvfs(fd, &st) != 0) return UINT64_MAX;
    return static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
}

}  // namespace

Status Txn::commit() {
    MDB_env* env = mdb_txn_env(txn_);
    const int rc = mdb_txn_commit(txn_);
    txn_ = nullptr;  // freed by LMDB whatever the outcome
    // LMDB answers a short write with EIO: a file system that filled during the commit.
    // Nothing was committed (the meta page, written last, still points at the old
    // tree), so it is a full disk that waits for room, not a failed device.
    if (rc == EIO) {
        const std::uint64_t left = room_left(env);
        if (left < full_disk_room_bytes)
            return {Errc::map_full, "commit transaction: " + std::string(mdb_strerror(rc)) +
                                        " on a full file system (" + std::to_string(left) + " bytes left)"};
    }
    return Status::from_mdb(rc, "commit transaction");
}

void Txn::abort() {
    if (txn_ != nullptr) mdb_txn_abort(txn_);
    txn_ = nullptr;
}

}  // namespace raftor::storage
