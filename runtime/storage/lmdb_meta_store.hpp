#pragma once
// The hard state and the snapshot in one LMDB environment (a `meta` table), as a node
// keeps them. Also what only LMDB can do: move a format-1 store's entries (kept in
// LMDB's `log` table) to the WAL, and copy the environment for a backup.
#include <memory>
#include <string>

#include "runtime/storage/lmdb_env.hpp"
#include "runtime/storage/meta_store.hpp"

namespace raftor::storage {

class Wal;

class LmdbMetaStore final : public MetaStore {
public:
    // Opens (creating) the environment in `dir` and checks its format.
    static std::unique_ptr<LmdbMetaStore> open(const std::string& dir, std::size_t map_size_bytes, bool sync,
                                               Status& status);
    Status commit(const MetaWrite& w) override;
    Status read(MetaRecords& out, bool with_snapshot_data) const override;
    Status set_map_size(std::size_t bytes) override { return env_.set_map_size(bytes); }

    // Format 1 kept entries in LMDB: true until migrate_v1 moved them to `wal`.
    bool format_v1() const { return format_v1_; }
    // Moves them, then drops the table and bumps the format in one transaction; a crash
    // in between repeats the move. `repaired` says what was moved.
    Status migrate_v1(Wal& wal, std::string& repaired);
    // A compacted copy into `dir`, an existing empty directory; consistent while the
    // store is written (mdb_env_copy2).
    Status copy_to(const std::string& dir) const;
    // The records of such a copy, read-only.
    static Status read_copy(const std::string& dir, MetaRecords& out);
    MDB_env* env() const { return env_.get(); }

private:
    LmdbMetaStore() = default;
    Env env_;
    MDB_dbi meta_db_ = 0;
    bool format_v1_ = false;
};

}  // namespace raftor::storage
