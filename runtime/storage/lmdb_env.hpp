#pragma once
// Thin RAII over LMDB: an environment, transactions, and errors as values.
#include <lmdb.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace raftor::storage {

enum class Errc : std::uint8_t {
    ok = 0,
    map_full,  // the LMDB map (or the disk) is full: writes refused, reads still work
    corrupt,   // bad checksum or undecodable record: names what and where
    io,        // any other LMDB or file-system error
    invalid,   // a caller asked for something impossible
};
const char* to_string(Errc e);

struct Status {
    Errc code = Errc::ok;
    std::string message;
    bool ok() const { return code == Errc::ok; }
    static Status from_mdb(int rc, std::string_view what);
};

class Env {
public:
    Env() = default;
    ~Env();
    Env(const Env&) = delete;
    Env& operator=(const Env&) = delete;

    Status open(const std::string& dir, std::size_t map_size_bytes, bool sync, unsigned max_dbs);
    Status set_map_size(std::size_t bytes);
    MDB_env* get() const { return env_; }
    std::size_t map_size() const;

private:
    MDB_env* env_ = nullptr;
};

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
