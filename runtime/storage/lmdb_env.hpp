#pragma once
// Thin RAII over LMDB: an environment, transactions, and errors as values.
#include <lmdb.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/storage/status.hpp"

namespace raftor::storage {

class Env {
public:
    Env() = default;
    ~Env();
    Env(const Env&) = delete;
    Env& operator=(const Env&) = delete;

    Status open(const std::string& dir, std::size_t map_size_bytes, bool sync, unsigned max_dbs);
    // An environment no process writes (a backup's copy): no lock file, no writes.
    Status open_read_only(const std::string& dir, unsigned max_dbs);
    Status set_map_size(std::size_t bytes);
    MDB_env* get() const { return env_; }
    std::size_t map_size() const;

private:
    MDB_env* env_ = nullptr;
};

// Below this much room, an I/O error from a commit is taken for a full disk (LMDB
// reports a short write as EIO).
constexpr std::uint64_t full_disk_room_bytes = 1 << 20;

class Txn {
public:
    Txn() = default;
    ~Txn() { abort(); }
    Txn(const Txn&) = delete;
    Txn& operator=(const Txn&) = delete;

    Status begin(MDB_env* env, bool read_only);
    Status commit();
    void abort();
    MDB_txn* get() const { return txn_; }

private:
    MDB_txn* txn_ = nullptr;
};

inline MDB_val val(std::string_view s) {
    return MDB_val{s.size(), const_cast<char*>(s.data())};
}
inline std::string_view view(const MDB_val& v) {
    return {static_cast<const char*>(v.mv_data), v.mv_size};
}

}  // namespace raftor::storage
