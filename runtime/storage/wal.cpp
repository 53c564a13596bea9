#include "runtime/storage/wal.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "runtime/common/mutation.hpp"
#include "runtime/raft/assert.hpp"
#include "runtime/raft/codec.hpp"

namespace raftor::storage {

using namespace wal;

namespace {

std::string entry_name(raft::Index i) {
    return "log entry " + std::to_string(i);
}

}  // namespace

std::unique_ptr<Wal> Wal::open(const WalOptions& opts, Status& status) {
    if (const int err = opts.fs->make_dir(opts.dir); err != 0 && err != EEXIST) {
        status = Status::from_errno(err, "create WAL directory " + opts.dir);
        return nullptr;
    }
    std::unique_ptr<Wal> w(new Wal(opts));
    if (status = w->load_segments(); !status.ok()) return nullptr;
    if (status = w->open_active(); !status.ok()) return nullptr;
    // What the next write lands on must read as zeros: a torn tail just cut, or the
    // sectors of an earlier torn write that reached the disk past a terminator that did
    // not, would make a write torn over them look like corruption.
    if (!w->segments_.empty()) {
        const auto& last = w->segments_.back();
        bool clean = w->repaired_.empty();
        if (clean) status = zeros_from(w->fs(), last.path, last.end, last.size, clean);
        if (!status.ok()) return nullptr;
        if (!clean)
            if (status = w->end_on_disk(last.size); !status.ok()) return nullptr;
    }
    return w;
}

Status Wal::load_segments() {
    std::vector<raft::Index> firsts;
    {
        std::vector<std::string> names;
        if (const int err = fs().list(opts_.dir, names); err != 0)
            return Status::from_errno(err, "open WAL directory " + opts_.dir);
        bool removed = false;
        for (const auto& name : names) {
            if (auto first = parse_segment_name(name)) {
                firsts.push_back(*first);
            } else if (name.size() > 4 && name.ends_with(".tmp")) {
                // A segment whose creation a crash interrupted: it held no entries yet.
                fs().remove(opts_.dir + "/" + name);
                removed = true;
            }
        }
        if (removed)
            if (auto st = sync_dir(fs(), opts_.dir); !st.ok()) return st;
    }
    std::sort(firsts.begin(), firsts.end());
    raft::Term last_term = 0;
    for (std::size_t k = 0; k < firsts.size(); ++k) {
        Segment seg;
        seg.first = firsts[k];
        seg.path = opts_.dir + "/" + segment_name(seg.first);
        Scan scan;
        if (auto st = scan_segment(fs(), seg.path, seg.first, scan); !st.ok()) return st;
        seg.size = scan.file_size;
        seg.seed = header_crc(seg.first);
        seg.records = std::move(scan.records);
        seg.end = scan.end;
        const bool newest = k + 1 == firsts.size();
        if (scan.bad) {
            const raft::Index bad = seg.next();
            if (!newest || !scan.torn) return {Errc::corrupt, entry_name(bad) + ": " + *scan.bad};
            repaired_ = "dropped an unfinished write at the end of " + seg.path + " from " + entry_name(bad) + " (" +
                        *scan.bad + "); it was never acknowledged";
        }
        if (!segments_.empty() && segments_.back().next() != seg.first)
            return {Errc::corrupt, "WAL segments " + segments_.back().path + " and " + seg.path +
                                       " do not join: expected " + entry_name(segments_.back().next()) + " next"};
        for (std::size_t i = 0; i < seg.records.size(); ++i) {
            if (seg.records[i].term < last_term)
                return {Errc::corrupt, entry_name(seg.first + i) + ": term " + std::to_string(seg.records[i].term) +
                                           " is lower than the term " + std::to_string(last_term) + " before it"};
            last_term = seg.records[i].term;
        }
        segments_.push_back(std::move(seg));
    }
    return {};
}

Status Wal::open_active() {
    active_.reset();
    if (segments_.empty()) return {};
    const std::string& path = segments_.back().path;
    if (const int err = fs().open(path, FileSystem::Mode::write, active_); err != 0)
        return Status::from_errno(err, "open " + path);
    return {};
}

raft::Index Wal::first_index() const {
    for (const auto& s : segments_)
        if (!s.records.empty()) return s.first;
    return 0;
}

raft::Index Wal::last_index() const {
    for (auto s = segments_.rbegin(); s != segments_.rend(); ++s)
        if (!s->records.empty()) return s->next() - 1;
    return 0;
}

std::optional<raft::Term> Wal::term_at(raft::Index i) const {
    for (const auto& s : segments_)
        if (i >= s.first && i < s.next()) return s.records[i - s.first].term;
    return std::nullopt;
}

Status Wal::create_segment(raft::Index first, std::uint64_t min_size) {
    const std::uint64_t size =
        std::max(RAFTOR_MUTATED(wal_fixed_prealloc) ? std::uint64_t{32} << 20 : opts_.segment_bytes, min_size);
    const std::string path = opts_.dir + "/" + segment_name(first);
    const std::string tmp = path + ".tmp";
    std::unique_ptr<File> fd;
    if (const int err = fs().open(tmp, FileSystem::Mode::create, fd); err != 0)
        return Status::from_errno(err, "create " + tmp);
    auto fail = [&](Status st) {
        fd.reset();
        fs().remove(tmp);
        return st;
    };
    // Preallocated, so appends change no file size and fdatasync has no metadata to write.
    if (const int err = fd->allocate(size); err != 0)
        return fail(Status::from_errno(err, "preallocate " + std::to_string(size) + " bytes for " + path));
    const std::string header = encode_header(first);
    if (auto st = pwrite_full(*fd, header.data(), header.size(), 0, tmp); !st.ok()) return fail(st);
    if (opts_.sync)
        if (const int err = fd->sync(); err != 0) return fail(Status::from_errno(err, "sync " + tmp));
    if (const int err = fs().rename(tmp, path); err != 0) return fail(Status::from_errno(err, "rename " + tmp));
    if (opts_.sync)
        if (auto st = sync_dir(fs(), opts_.dir); !st.ok()) return st;
    Segment seg;
    seg.first = first;
    seg.path = path;
    seg.size = size;
    seg.seed = header_crc(first);
    segments_.push_back(std::move(seg));
    active_ = std::move(fd);
    ++stats_.segments_created;
    return {};
}

Status Wal::remove_from(std::size_t pos) {
    if (pos >= segments_.size()) return {};
    for (std::size_t k = pos; k < segments_.size(); ++k)
        if (const int err = fs().remove(segments_[k].path); err != 0 && err != ENOENT)
            return Status::from_errno(err, "remove " + segments_[k].path);
    stats_.segments_removed += segments_.size() - pos;
    segments_.resize(pos);
    // Durable before anything is written over the cut: a removed segment coming back
    // after a crash would splice stale entries onto the new ones.
    if (opts_.sync)
        if (auto st = sync_dir(fs(), opts_.dir); !st.ok()) return st;
    return open_active();
}

Status Wal::truncate_from(raft::Index at) {
    std::size_t k = segments_.size();
    while (k > 0 && segments_[k - 1].first > at) --k;
    // segments_[k - 1] holds `at` (or ends just before it); everything after goes.
    if (k > 0 && segments_[k - 1].first == at) --k;
    if (auto st = remove_from(k); !st.ok()) return st;
    if (segments_.empty()) return {};
    Segment& s = segments_.back();
    if (at < s.next()) {
        const std::uint64_t old_end = s.end + record_header_size;
        s.end = s.records[at - s.first].offset;
        s.records.resize(at - s.first);
        return end_on_disk(old_end);
    }
    return {};
}

Status Wal::end_on_disk(std::uint64_t upto) {
    // Records left past the end (cut away, or a torn write) are zeroed, so that:
    //  - when what comes next does not fit here and goes to a new segment, they are
    //    never read back before it;
    //  - a write torn over them later looks torn (unwritten sectors read as zeros), not
    //    like corruption.
    Segment& s = segments_.back();
    upto = std::min(std::max(upto, s.end + record_header_size), s.size);
    const std::string zero(std::min<std::uint64_t>(upto - s.end, std::uint64_t{1} << 20), '\0');
    for (std::uint64_t off = s.end; off < upto; off += zero.size()) {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(zero.size(), upto - off));
        if (auto st = pwrite_full(*active_, zero.data(), n, off, s.path); !st.ok()) return st;
    }
    return sync_active();
}

Status Wal::sync_active() {
    if (!opts_.sync || RAFTOR_MUTATED(wal_ack_before_sync)) return {};
    if (const int err = active_->sync(); err != 0) {
        broken_ = "WAL unusable after a failed fdatasync of " + segments_.back().path + ": " + std::strerror(err) +
                  "; restart the node";
        return {Errc::io, broken_};
    }
    ++stats_.syncs;
    return {};
}

Status Wal::reset() {
    if (!broken_.empty()) return {Errc::io, broken_};
    return remove_from(0);
}

Status Wal::release_to(raft::Index index) {
    std::size_t n = 0;
    while (n + 1 < segments_.size() && segments_[n + 1].first <= index + 1) ++n;
    if (n == 0) return {};
    for (std::size_t k = 0; k < n; ++k)
        if (const int err = fs().remove(segments_[k].path); err != 0 && err != ENOENT)
            return Status::from_errno(err, "remove " + segments_[k].path);
    segments_.erase(segments_.begin(), segments_.begin() + static_cast<std::ptrdiff_t>(n));
    stats_.segments_removed += n;
    // Not synced: a segment that comes back after a crash is still a valid prefix.
    return {};
}

Status Wal::write(raft::Index at, const std::vector<const raft::Entry*>& tail) {
    if (!broken_.empty()) return {Errc::io, broken_};
    if (tail.empty()) return {};
    for (std::size_t i = 0; i < tail.size(); ++i)
        if (tail[i]->index != at + i) return {Errc::invalid, "entries in a write are not contiguous"};
    const raft::Index first = first_index(), last = last_index();
    if (last != 0 && at > last + 1) return {Errc::invalid, entry_name(at) + " leaves a gap after " + entry_name(last)};
    if (last != 0 && tail.front()->term < term_at(at - 1).value_or(0))
        return {Errc::invalid, entry_name(at) + ": term goes back"};
    if (last == 0 || at <= first) {
        // Nothing of the old log survives: start over at `at`.
        if (!(segments_.size() == 1 && segments_[0].records.empty() && segments_[0].first == at))
            if (auto st = remove_from(0); !st.ok()) return st;
    } else if (at <= last) {
        if (auto st = truncate_from(at); !st.ok()) return st;
    }
    std::vector<std::string> payloads;
    payloads.reserve(tail.size());
    for (const raft::Entry* e : tail) {
        payloads.push_back(raft::encode_entry(*e));
        if (payloads.back().size() > length_mask) return {Errc::invalid, entry_name(e->index) + " is too large"};
    }
    return append(payloads, tail);
}

Status Wal::append(const std::vector<std::string>& payloads, const std::vector<const raft::Entry*>& tail) {
    std::size_t i = 0;
    std::string buf;
    while (i < payloads.size()) {
        const auto need = [&](std::size_t k) { return record_header_size + payloads[k].size(); };
        if (segments_.empty() || segments_.back().end + need(i) + record_header_size > segments_.back().size)
            if (auto st = create_segment(tail[i]->index, header_size + need(i) + record_header_size); !st.ok())
                return st;
        Segment& s = segments_.back();
        RAFT_ASSERT(s.next() == tail[i]->index, "a segment's records are consecutive");
        // As many records as fit, then a zero length word that the next write replaces.
        std::size_t n = i;
        std::uint64_t used = s.end;
        while (n < payloads.size() && used + need(n) + record_header_size <= s.size) used += need(n++);
        buf.clear();
        std::uint32_t crc = s.records.empty() ? s.seed : s.records.back().crc;
        std::vector<RecordPos> added;
        for (std::size_t k = i; k < n; ++k) {
            const std::uint64_t off = s.end + buf.size();
            crc = append_record(buf, payloads[k], crc, k + 1 == n);
            added.push_back(RecordPos{off, tail[k]->term, crc});
        }
        buf.append(record_header_size, '\0');
        if (auto st = pwrite_full(*active_, buf.data(), buf.size(), s.end, s.path); !st.ok()) return st;
        if (auto st = sync_active(); !st.ok()) return st;
        stats_.bytes_written += buf.size();
        s.records.insert(s.records.end(), added.begin(), added.end());
        s.end += buf.size() - record_header_size;
        i = n;
    }
    return {};
}

Status Wal::read(raft::Index from, std::vector<raft::Entry>& out, std::size_t count, std::size_t bytes) const {
    // `out` may hold entries already: the count is of those read here (no wrap at SIZE_MAX).
    wal::ReadLimit limit{.count = count > SIZE_MAX - out.size() ? SIZE_MAX : out.size() + count, .bytes = bytes};
    for (const auto& s : segments_) {
        if (s.next() <= from) continue;
        if (limit.reached(out)) break;
        const std::size_t k = from > s.first ? static_cast<std::size_t>(from - s.first) : 0;
        if (auto st = read_records(fs(), s.path, s.first, s.seed, s.records, k, out, limit); !st.ok()) return st;
    }
    return {};
}

}  // namespace raftor::storage
