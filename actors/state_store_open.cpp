#include "actors/state_store_open.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "runtime/log/log.hpp"
#include "runtime/node/state_resume.hpp"

namespace raftor::actors {

namespace {

namespace fs = std::filesystem;

std::string boot_id() {
    std::ifstream in("/proc/sys/kernel/random/boot_id");
    std::string id;
    std::getline(in, id);
    return id;
}

// Makes a create or remove in `dir` durable.
void sync_dir(const std::string& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd < 0) return;
    ::fsync(fd);
    ::close(fd);
}

}  // namespace

std::string open_state_store(const std::string& data_dir, raft::Index snapshot_index, raft::Index last_index,
                             OpenedState& out) {
    const std::string dir = data_dir + "/state", synced = dir + "/synced";
    // Its map is address space, not memory or disk: the disk bounds it.
    auto open = [&](storage::Status& st) {
        return std::shared_ptr<storage::LmdbStateStore>(
            storage::LmdbStateStore::open(dir, storage::state_map_bytes, false, st).release());
    };
    storage::Status st;
    out.store = open(st);
    if (!out.store) return "opening the state store in '" + dir + "': " + st.message;
    out.boot_id = boot_id();
    std::error_code ec;
    const bool was_synced = fs::exists(synced, ec);
    const node::ResumeDecision d = node::can_resume(*out.store, was_synced, out.boot_id, snapshot_index, last_index);
    // From here on it is written to again: the file no longer says the truth.
    if (was_synced) {
        fs::remove(synced, ec);
        if (ec) return "removing '" + synced + "': " + ec.message();
        sync_dir(dir);
    }
    if (d.resume) {
        out.resume = true;
        out.applied = d.applied;
        logging::info("state_store_opened", {{"dir", dir}, {"applied", std::to_string(d.applied)}});
        return {};
    }
    // Emptied, not cleared key by key: what it held may be damaged, and a fresh file is
    // also the quickest way to nothing.
    out.store.reset();
    for (const char* f : {"data.mdb", "lock.mdb"}) {
        fs::remove(dir + "/" + f, ec);
        if (ec) return "removing '" + dir + "/" + f + "': " + ec.message();
    }
    sync_dir(dir);
    out.store = open(st);
    if (!out.store) return "opening the state store in '" + dir + "': " + st.message;
    logging::info("state_store_rebuilding",
                  {{"dir", dir}, {"why", d.why}, {"from_snapshot", std::to_string(snapshot_index)}});
    return {};
}

void close_state_store(const std::string& data_dir, OpenedState& s) {
    if (!s.store) return;
    const std::string dir = data_dir + "/state";
    if (auto st = s.store->sync(); !st.ok()) {
        logging::warn("state_store_sync_failed", {{"dir", dir}, {"error", st.message}});
        return;
    }
    const std::string synced = dir + "/synced";
    const int fd = ::open(synced.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ::fsync(fd) != 0) {
        logging::warn("state_store_sync_failed", {{"dir", dir}, {"error", std::strerror(errno)}});
        if (fd >= 0) ::close(fd);
        return;
    }
    ::close(fd);
    sync_dir(dir);
}

}  // namespace raftor::actors
