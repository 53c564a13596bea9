#include "runtime/storage/wal_segment.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "runtime/common/crc32c.hpp"
#include "runtime/raft/codec.hpp"

namespace raftor::storage::wal {

namespace {

constexpr std::string_view magic = "RFTRWAL1";
constexpr std::size_t sector = 512;
constexpr std::size_t read_chunk = std::size_t{1} << 20;

void put_u32(char* p, std::uint32_t v) {
    for (int b = 0; b < 4; ++b) p[b] = static_cast<char>((v >> (8 * b)) & 0xFF);
}
void put_u64(char* p, std::uint64_t v) {
    for (int b = 0; b < 8; ++b) p[b] = static_cast<char>((v >> (8 * b)) & 0xFF);
}
std::uint32_t get_u32(const char* p) {
    std::uint32_t v = 0;
    for (int b = 3; b >= 0; --b) v = (v << 8) | static_cast<unsigned char>(p[b]);
    return v;
}
std::uint64_t get_u64(const char* p) {
    std::uint64_t v = 0;
    for (int b = 7; b >= 0; --b) v = (v << 8) | static_cast<unsigned char>(p[b]);
    return v;
}

std::uint32_t record_crc(const char* length_word, std::string_view payload, std::uint32_t prev) {
    return crc32c(payload.data(), payload.size(), crc32c(length_word, 4, prev));
}

// Sequential reads through a window, so a scan touches only the written part of a
// mostly preallocated file. A returned pointer is valid until the next call.
class Reader {
public:
    Reader(File& f, std::uint64_t size, const std::string& path) : f_(f), size_(size), path_(path) {}
    // nullptr (and ok status) when [off, off + n) runs past the end of the file.
    const char* get(std::uint64_t off, std::size_t n, Status& st) {
        if (off > size_ || n > size_ - off) return nullptr;
        if (off >= base_ && off + n <= base_ + buf_.size()) return buf_.data() + (off - base_);
        const std::size_t want =
            static_cast<std::size_t>(std::min<std::uint64_t>(std::max(n, read_chunk), size_ - off));
        buf_.resize(want);
        base_ = off;
        if (st = pread_full(f_, buf_.data(), want, off, path_); !st.ok()) {
            buf_.clear();
            return nullptr;
        }
        return buf_.data();
    }

private:
    File& f_;
    std::uint64_t size_;
    const std::string& path_;
    std::string buf_;
    std::uint64_t base_ = 0;
};

struct Record {
    std::uint32_t length = 0;
    bool write_end = false;
    std::uint32_t crc = 0;
};

enum class Check : std::uint8_t { ok, end, past_end, crc };

// Verifies the record at `off` against `prev`; on ok, `payload` views its bytes.
Check check_record(Reader& r, std::uint64_t off, std::uint32_t prev, Record& rec, std::string_view& payload,
                   Status& st) {
    const char* h = r.get(off, record_header_size, st);
    if (h == nullptr) return Check::past_end;
    const std::uint32_t word = get_u32(h);
    rec = Record{word & length_mask, (word & write_end_flag) != 0, get_u32(h + 4)};
    if (rec.length == 0) return Check::end;
    const char* p = r.get(off, record_header_size + rec.length, st);
    if (p == nullptr) return Check::past_end;
    payload = std::string_view(p + record_header_size, rec.length);
    return record_crc(p, payload, prev) == rec.crc ? Check::ok : Check::crc;
}

std::string entry_name(raft::Index i) {
    return "log entry " + std::to_string(i);
}

// Judges the bad record at `off` (entry `index`): torn or corrupt. See Scan::torn.
bool looks_torn(Reader& r, std::uint64_t off, const Record& bad, Check why, Status& st) {
    if (why == Check::past_end) return true;  // a length word cut short or garbage
    bool zero_sector = false;
    if (const char* p = r.get(off, record_header_size + bad.length, st); p != nullptr) {
        const std::uint64_t first = (off + sector - 1) / sector * sector;
        for (std::uint64_t s = first; s + sector <= off + record_header_size + bad.length && !zero_sector; s += sector)
            zero_sector = std::all_of(p + (s - off), p + (s - off) + sector, [](char c) { return c == 0; });
    }
    // Follow the chain past the bad record with its stored crc.
    std::uint64_t next = off + record_header_size + bad.length;
    std::uint32_t prev = bad.crc;
    bool write_ended = bad.write_end, any_valid = false;
    Record rec;
    std::string_view payload;
    while (check_record(r, next, prev, rec, payload, st) == Check::ok) {
        if (write_ended) return false;  // a later write verifies: this one was complete
        any_valid = true;
        write_ended = rec.write_end;
        next += record_header_size + rec.length;
        prev = rec.crc;
    }
    return !any_valid || zero_sector;
}

}  // namespace

Status pread_full(File& f, char* buf, std::size_t n, std::uint64_t off, const std::string& path) {
    std::size_t got = 0;
    if (const int err = f.read_at(buf, n, off, got); err != 0) return Status::from_errno(err, "read " + path);
    if (got < n) return {Errc::corrupt, "read " + path + ": file shorter than expected"};
    return {};
}

Status pwrite_full(File& f, const char* buf, std::size_t n, std::uint64_t off, const std::string& path) {
    if (const int err = f.write_at(buf, n, off); err != 0) return Status::from_errno(err, "write " + path);
    return {};
}

Status sync_dir(FileSystem& fs, const std::string& dir) {
    if (const int err = fs.sync_dir(dir); err != 0) return Status::from_errno(err, "sync directory " + dir);
    return {};
}

std::string segment_name(raft::Index first) {
    std::string digits = std::to_string(first);
    return std::string(20 - std::min<std::size_t>(20, digits.size()), '0') + digits + ".seg";
}

std::optional<raft::Index> parse_segment_name(std::string_view name) {
    if (name.size() != 24 || name.substr(20) != ".seg") return std::nullopt;
    raft::Index v = 0;
    for (char c : name.substr(0, 20)) {
        if (c < '0' || c > '9') return std::nullopt;
        const auto d = static_cast<raft::Index>(c - '0');
        if (v > (~raft::Index{0} - d) / 10) return std::nullopt;
        v = v * 10 + d;
    }
    return v;
}

std::string encode_header(raft::Index first) {
    std::string h(header_size, '\0');
    std::memcpy(h.data(), magic.data(), magic.size());
    put_u64(h.data() + 8, first);
    put_u32(h.data() + 16, crc32c(h.data(), 16));
    return h;
}

std::uint32_t header_crc(raft::Index first) {
    return get_u32(encode_header(first).data() + 16);
}

std::uint32_t append_record(std::string& out, std::string_view payload, std::uint32_t prev_crc, bool write_end) {
    char h[record_header_size];
    put_u32(h, static_cast<std::uint32_t>(payload.size()) | (write_end ? write_end_flag : 0));
    const std::uint32_t crc = record_crc(h, payload, prev_crc);
    put_u32(h + 4, crc);
    out.append(h, record_header_size);
    out.append(payload);
    return crc;
}

Status scan_segment(FileSystem& fs, const std::string& path, raft::Index first, Scan& out) {
    out = Scan{};
    out.first = first;
    std::unique_ptr<File> f;
    if (const int err = fs.open(path, FileSystem::Mode::read, f); err != 0)
        return Status::from_errno(err, "open " + path);
    if (const int err = f->size(out.file_size); err != 0) return Status::from_errno(err, "size of " + path);
    Reader r(*f, out.file_size, path);
    Status st;
    const char* h = r.get(0, header_size, st);
    if (!st.ok()) return st;
    if (h == nullptr || std::string_view(h, magic.size()) != magic || get_u64(h + 8) != first ||
        get_u32(h + 16) != crc32c(h, 16))
        return {Errc::corrupt,
                path + ": not a raftor WAL segment starting at entry " + std::to_string(first) + " (bad header)"};
    std::uint32_t prev = get_u32(h + 16);
    std::uint64_t off = header_size;
    raft::Index index = first;
    std::string error;
    for (;;) {
        Record rec;
        std::string_view payload;
        const Check c = check_record(r, off, prev, rec, payload, st);
        if (!st.ok()) return st;
        if (c == Check::end) break;
        if (c != Check::ok) {
            out.bad = c == Check::crc
                          ? "checksum mismatch"
                          : "record of " + std::to_string(rec.length) + " bytes runs past the end of " + path;
            out.torn = looks_torn(r, off, rec, c, st);
            if (!st.ok()) return st;
            break;
        }
        auto e = raft::decode_entry(payload, error);
        if (!e) return {Errc::corrupt, entry_name(index) + ": " + error};
        if (e->index != index)
            return {Errc::corrupt, entry_name(index) + ": record holds entry " + std::to_string(e->index)};
        out.records.push_back(RecordPos{off, e->term, rec.crc});
        off += record_header_size + rec.length;
        prev = rec.crc;
        ++index;
    }
    out.end = off;
    return {};
}

Status zeros_from(FileSystem& fs, const std::string& path, std::uint64_t from, std::uint64_t to, bool& zero) {
    zero = true;
    if (from >= to) return {};
    std::unique_ptr<File> f;
    if (const int err = fs.open(path, FileSystem::Mode::read, f); err != 0)
        return Status::from_errno(err, "open " + path);
    std::string buf;
    for (std::uint64_t off = from; off < to && zero; off += buf.size()) {
        buf.resize(static_cast<std::size_t>(std::min<std::uint64_t>(read_chunk, to - off)));
        if (auto st = pread_full(*f, buf.data(), buf.size(), off, path); !st.ok()) return st;
        zero = std::all_of(buf.begin(), buf.end(), [](char c) { return c == 0; });
    }
    return {};
}

Status read_records(FileSystem& fs, const std::string& path, raft::Index first, std::uint32_t seed,
                    const std::vector<RecordPos>& records, std::size_t from, std::vector<raft::Entry>& out,
                    ReadLimit& limit) {
    if (from >= records.size()) return {};
    std::unique_ptr<File> f;
    if (const int err = fs.open(path, FileSystem::Mode::read, f); err != 0)
        return Status::from_errno(err, "open " + path);
    std::uint64_t size = 0;
    if (const int err = f->size(size); err != 0) return Status::from_errno(err, "size of " + path);
    Reader r(*f, size, path);
    std::string error;
    for (std::size_t k = from; k < records.size() && !limit.reached(out); ++k) {
        const raft::Index index = first + k;
        Status st;
        Record rec;
        std::string_view payload;
        const Check c = check_record(r, records[k].offset, k == 0 ? seed : records[k - 1].crc, rec, payload, st);
        if (!st.ok()) return st;
        if (c != Check::ok || rec.crc != records[k].crc)
            return {Errc::corrupt, entry_name(index) + ": checksum mismatch"};
        auto e = raft::decode_entry(payload, error);
        if (!e) return {Errc::corrupt, entry_name(index) + ": " + error};
        if (e->index != index)
            return {Errc::corrupt, entry_name(index) + ": record holds entry " + std::to_string(e->index)};
        limit.bytes_read += e->size_bytes();
        out.push_back(std::move(*e));
    }
    return {};
}

}  // namespace raftor::storage::wal
