#pragma once
// The state store in LMDB, as a node keeps it: one table of (table byte + key) ->
// value, read through LMDB's read transactions (each a consistent snapshot, while the
// one writer goes on) and committed with the applied index in the same transaction.
#include <atomic>
#include <memory>
#include <string>

#include "runtime/storage/lmdb_env.hpp"
#include "runtime/storage/state_store.hpp"

namespace raftor::storage {

// A node's state map: 256 GiB of address space (LMDB grows the file as it fills).
inline constexpr std::size_t state_map_bytes = std::size_t{256} << 30;

class LmdbStateStore final : public StateStore {
public:
    // Opens (creating) the environment in `dir`. `sync` false: no fsync per commit (what
    // the commit writes is then durable only once the OS writes it back).
    static std::unique_ptr<LmdbStateStore> open(const std::string& dir, std::size_t map_size_bytes, bool sync,
                                                Status& status);
    std::unique_ptr<StateRead> read(Status& status) override;
    std::unique_ptr<StateWrite> write(Status& status) override;
    Status commit(std::unique_ptr<StateWrite> write, std::uint64_t applied_index) override;
    // Allocates the data file ahead of LMDB's last page (twice what is asked, when the
    // file system has it): LMDB's writes then land in blocks already allocated.
    Status reserve(std::uint64_t bytes) override;
    Status set_map_size(std::size_t bytes) { return env_.set_map_size(bytes); }
    // Makes every commit so far durable (they are not, one by one).
    Status sync() { return Status::from_mdb(mdb_env_sync(env_.get(), 1), "sync the state store"); }

private:
    LmdbStateStore() = default;
    Env env_;
    std::string dir_;
    std::uint64_t file_bytes_ = 0;  // the data file's size when last seen (it never shrinks)
    MDB_dbi db_ = 0;
    std::atomic<bool> writing_{false};
};

}  // namespace raftor::storage
