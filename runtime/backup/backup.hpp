#pragma once
// Backups of a node's state and what restores a new cluster from one.
//
// A backup is a tar of `data.mdb`, a compacted LMDB copy (mdb_env_copy2) holding the
// state machine's snapshot at one index and its hard state, and `manifest.json`
// (manifest.hpp). Online, the node snapshots first, so the copy stands for everything
// it had applied; offline, a stopped node's log is applied up to its commit index.
// Every archive is read back and checked before it is called good.
#include <string>
#include <vector>

#include "runtime/backup/manifest.hpp"
#include "runtime/state/member_registry.hpp"
#include "runtime/storage/store.hpp"

namespace raftor::storage {
class LogStore;
}

namespace raftor::backup {

struct Source {
    std::string cluster_id;
    std::string node;
    std::int64_t now_ms = 0;
};

// Each returns an empty string on success, else what went wrong (naming the file).

// A live store: copied under `work_dir` (same file system as the data, say), then archived.
std::string backup_store(const storage::LogStore& store, const Source& src, const std::string& work_dir,
                         const std::string& out_path, Manifest& m);
// A stopped node's data dir (refused while a node holds it).
std::string backup_data_dir(const std::string& data_dir, const Source& src, const std::string& out_path, Manifest& m);
// Reads an archive back: the manifest, the copy's checksum, the snapshot's checksum and
// that its state decodes to the manifest's figures. `loaded` (optional) gets the snapshot.
std::string verify_backup(const std::string& archive, Manifest& m, storage::Loaded* loaded = nullptr);
// Seeds `data_dir` (absent or empty) for one member of a new cluster whose members are
// `members`: the backup's state, with the new configuration and member addresses.
std::string restore_backup(const std::string& archive, const std::string& data_dir,
                           const std::vector<state::MemberInfo>& members, Manifest& m);

}  // namespace raftor::backup
