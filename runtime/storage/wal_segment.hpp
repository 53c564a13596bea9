#pragma once
// One write-ahead-log segment file: its layout, the file calls it needs, and the scan
// that reads it back after a crash.
//
// Layout: a 32-byte header (magic "RFTRWAL1", first index as u64, crc32c of those 16
// bytes, 4 zero bytes), then records: u32 length (bit 31 marks the last record of one
// write), u32 crc, payload (a Cap'n Proto raft::Entry). A record's crc covers its length
// word and payload, seeded with the previous record's crc (the header's for the first):
// a stale record left behind a truncation cannot verify after a different predecessor.
// A zero length word ends the records; the rest of the file is preallocated space.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/raft/types.hpp"
#include "runtime/storage/file_system.hpp"
#include "runtime/storage/status.hpp"

namespace raftor::storage::wal {

constexpr std::size_t header_size = 32;
constexpr std::size_t record_header_size = 8;
constexpr std::uint32_t write_end_flag = 0x80000000u;
constexpr std::uint32_t length_mask = 0x7FFFFFFFu;

// Exactly n bytes at off (a file shorter than that is corrupt), and all of a write.
Status pread_full(File& f, char* buf, std::size_t n, std::uint64_t off, const std::string& path);
Status pwrite_full(File& f, const char* buf, std::size_t n, std::uint64_t off, const std::string& path);
// Makes a directory's entries (created, renamed, removed files) durable.
Status sync_dir(FileSystem& fs, const std::string& dir);

std::string segment_name(raft::Index first);  // "00000000000000000001.seg": sorts by index
std::optional<raft::Index> parse_segment_name(std::string_view name);

std::string encode_header(raft::Index first);
std::uint32_t header_crc(raft::Index first);

// Appends one record to `out` and returns its crc.
std::uint32_t append_record(std::string& out, std::string_view payload, std::uint32_t prev_crc, bool write_end);

// Where a verified record is, and what the next record's crc is seeded with.
struct RecordPos {
    std::uint64_t offset = 0;
    raft::Term term = 0;
    std::uint32_t crc = 0;
};

struct Scan {
    raft::Index first = 0;
    std::uint64_t file_size = 0;
    std::vector<RecordPos> records;   // every verified record, entry index first + i
    std::uint64_t end = header_size;  // just past the last verified record
    // Set when the records stop at a bad record rather than at a zero length word.
    std::optional<std::string> bad;  // what is wrong with entry first + records.size()
    // A bad record that looks like a write cut short by a crash: nothing after it
    // verifies, or only records of the same write do and a whole sector of the bad
    // record is still zero (the disk persisted sectors out of order).
    bool torn = false;
};

// Reads a segment back, verifying the header, every crc, each entry's decoding and its
// index. A structural problem (bad header, undecodable verified record) is an error;
// a bad record ends the scan and is described in `bad`/`torn` for the caller to judge.
Status scan_segment(FileSystem& fs, const std::string& path, raft::Index first, Scan& out);

// Whether bytes [from, to) of a segment are all zeros (a terminator's and what follows
// it: what a write lands on must be unwritten space).
Status zeros_from(FileSystem& fs, const std::string& path, std::uint64_t from, std::uint64_t to, bool& zero);

// How much one read may return: it stops once `out` holds `count` entries or `bytes`
// of them (Entry::size_bytes), whichever comes first, after at least one.
struct ReadLimit {
    std::size_t count = SIZE_MAX;
    std::size_t bytes = SIZE_MAX;
    std::size_t bytes_read = 0;  // carried across the segments of one read
    bool reached(const std::vector<raft::Entry>& out) const {
        return !out.empty() && (out.size() >= count || bytes_read >= bytes);
    }
};

// Decodes the records [from, ..) of a scanned segment again, verifying each, within `limit`.
Status read_records(FileSystem& fs, const std::string& path, raft::Index first, std::uint32_t seed,
                    const std::vector<RecordPos>& records, std::size_t from, std::vector<raft::Entry>& out,
                    ReadLimit& limit);

}  // namespace raftor::storage::wal
