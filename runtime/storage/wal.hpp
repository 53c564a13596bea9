#pragma once
// The write-ahead log of Raft entries: a directory of preallocated segment files
// (wal_segment.hpp), appended with one write and one fdatasync per segment touched.
//
// Only entries live here; term, vote and snapshots stay in LMDB (log_store.hpp).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/storage/wal_segment.hpp"

namespace raftor::storage {

struct WalOptions {
    std::string dir;
    std::uint64_t segment_bytes = std::uint64_t{32} << 20;
    bool sync = true;
    FileSystem* fs = &posix_file_system();  // a simulated disk in tests and the simulator
};

struct WalStats {
    std::uint64_t syncs = 0;  // fdatasync calls on segments
    std::uint64_t bytes_written = 0;
    std::uint64_t segments_created = 0;
    std::uint64_t segments_removed = 0;
};

class Wal {
public:
    // Opens `opts.dir` (creating it), removes half-made segments, and scans every
    // segment. A write cut short by a crash at the end of the last segment is dropped
    // (never acknowledged: its fdatasync had not returned) and described by repaired();
    // a bad record anywhere else is corruption, named by entry index.
    static std::unique_ptr<Wal> open(const WalOptions& opts, Status& status);

    raft::Index first_index() const;  // 0 when empty
    raft::Index last_index() const;   // 0 when empty
    bool empty() const { return last_index() == 0; }
    std::optional<raft::Term> term_at(raft::Index i) const;

    // Writes `tail` as entries at, at + 1, ...: replaces every entry from `at` on. On
    // success all of it is on disk. `at` may be anywhere when the log is empty and
    // must not leave a gap otherwise. After a failed fdatasync every later write fails:
    // what the kernel dropped is unknown, so only a restart (and a rescan) is safe.
    Status write(raft::Index at, const std::vector<const raft::Entry*>& tail);
    // Removes every segment (a snapshot from the leader replaced the log).
    Status reset();
    // Removes segments whose entries are all at or below `index` (covered by a durable
    // snapshot). The newest segment stays.
    Status release_to(raft::Index index);
    // Reads entries [max(from, first), last] back, verifying them again; at most
    // `count` of them, or `bytes` (Entry::size_bytes), after the first.
    Status read(raft::Index from, std::vector<raft::Entry>& out, std::size_t count = SIZE_MAX,
                std::size_t bytes = SIZE_MAX) const;

    const std::string& repaired() const { return repaired_; }
    const WalStats& stats() const { return stats_; }
    std::size_t segment_count() const { return segments_.size(); }

private:
    struct Segment {
        raft::Index first = 0;
        std::string path;
        std::uint64_t size = 0;
        std::uint32_t seed = 0;
        std::vector<wal::RecordPos> records;
        std::uint64_t end = wal::header_size;
        raft::Index next() const { return first + records.size(); }
    };

    explicit Wal(WalOptions opts) : opts_(std::move(opts)) {}
    Status load_segments();
    Status create_segment(raft::Index first, std::uint64_t min_size);
    Status remove_from(std::size_t pos);  // segments_[pos..], then the directory is synced
    Status open_active();
    Status truncate_from(raft::Index at);
    Status end_on_disk(std::uint64_t upto);  // zeros from the last segment's end to `upto`, synced
    // fdatasync of the active segment (with sync on); a failure breaks the WAL for good.
    Status sync_active();
    Status append(const std::vector<std::string>& payloads, const std::vector<const raft::Entry*>& tail);

    FileSystem& fs() const { return *opts_.fs; }

    WalOptions opts_;
    std::vector<Segment> segments_;
    std::unique_ptr<File> active_;  // segments_.back(), open for writing
    std::string repaired_;
    std::string broken_;  // why writes are refused, after a failed fdatasync
    WalStats stats_;
};

}  // namespace raftor::storage
