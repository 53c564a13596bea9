#pragma once
// A simulated disk for the write-ahead log (storage::FileSystem), in memory and
// deterministic from a seed. It keeps what was written apart from what was synced:
//  - a file's bytes survive a crash only once the file was synced (fdatasync);
//  - a name (created, renamed, removed) survives only once its directory was synced;
//  - a crash keeps, of each write not yet synced, a random subset of its 512-byte
//    sectors, as a disk that persists sectors out of order may: torn writes;
//  - on demand a call fails with an errno (ENOSPC, EIO, ...), the next n times, or
//    whenever a hook says so (the simulator's failing fsyncs);
//  - with a capacity, what would grow the disk past it fails with ENOSPC: a write past
//    a file's end or an allocation. Writes into space already allocated still succeed,
//    as on a real file system: a preallocated WAL segment holds until it is full.
// What it cannot stand for: LMDB's memory map (its pages are written by the kernel, not
// through these calls); LMDB's durability is tested with real processes killed at
// random points instead (tests/storage/crash_test.cpp).
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "runtime/storage/file_system.hpp"

namespace raftor::sim {

class SimFileSystem final : public storage::FileSystem {
public:
    static constexpr std::size_t sector = 512;
    enum class Op { open, write, sync, allocate, rename, remove, sync_dir };
    // Asked before each call: an errno to fail it with, or 0.
    using Hook = std::function<int(Op)>;

    int open(const std::string& path, Mode mode, std::unique_ptr<storage::File>& out) override;
    int make_dir(const std::string& path) override;
    int list(const std::string& dir, std::vector<std::string>& names) override;
    int remove(const std::string& path) override;
    int rename(const std::string& from, const std::string& to) override;
    int sync_dir(const std::string& dir) override;

    // The next `times` calls of `op` fail with `err` (and do nothing).
    void fail(Op op, int err, int times = 1);
    void set_hook(Hook hook) { hook_ = std::move(hook); }
    // Bytes the disk holds in all (0: no limit), of which `outside` are not files here
    // (the simulator's meta store).
    void set_capacity(std::uint64_t bytes) { capacity_ = bytes; }
    void set_outside(std::uint64_t bytes) { outside_ = bytes; }
    std::uint64_t used() const;
    // ENOSPC when `more` bytes would not fit, else 0.
    int room_for(std::uint64_t more);
    // Power loss: every file and name falls back to what was synced, plus a torn part of
    // each unsynced write: `coin` says, per sector, whether it reached the disk. Handles
    // opened before are dead (their calls fail with EIO).
    void crash(const std::function<bool()>& coin);
    void crash(std::mt19937_64& rng) {
        crash([&rng] { return rng() % 2 == 1; });
    }

    std::uint64_t syncs() const { return syncs_; }
    std::uint64_t full_refusals() const { return full_refusals_; }

    struct Inode {
        std::string data;    // what reads see
        std::string synced;  // what survives a crash
        struct Write {
            std::uint64_t off;
            std::string bytes;
        };
        std::vector<Write> pending;    // written since the last sync, in order
        std::uint64_t generation = 0;  // bumped by a crash: older handles are dead
    };

private:
    friend class SimFile;
    int failing(Op op);  // the errno to fail this call with, or 0

    std::map<std::string, std::shared_ptr<Inode>> names_;    // the namespace as seen now
    std::map<std::string, std::shared_ptr<Inode>> durable_;  // ... as a crash leaves it
    std::map<std::string, bool> dirs_;                       // directories made
    std::map<Op, std::pair<int, int>> faults_;               // op -> (errno, times left)
    Hook hook_;
    std::uint64_t capacity_ = 0, outside_ = 0;
    std::uint64_t generation_ = 0;
    std::uint64_t syncs_ = 0, full_refusals_ = 0;
};

}  // namespace raftor::sim
