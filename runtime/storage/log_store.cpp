#include "runtime/storage/log_store.hpp"

#include <algorithm>
#include <cstring>

#include "runtime/common/crc32c.hpp"
#include "runtime/raft/codec.hpp"
#include "runtime/raft/log.hpp"
#include "runtime/storage/sealed.hpp"

namespace raftor::storage {

namespace {

// The snapshot's metadata, checksum verified (nothing when there is no snapshot).
Status decode_snapshot_meta(const MetaRecords& recs, std::optional<raft::SnapshotMeta>& out) {
    out.reset();
    if (!recs.snapshot_meta) return {};
    std::string error;
    auto body = unsealed(*recs.snapshot_meta);
    out = body ? raft::decode_snapshot_meta(*body, error) : std::nullopt;
    if (!out) return {Errc::corrupt, "snapshot metadata: " + (body ? error : std::string("checksum mismatch"))};
    return {};
}

}  // namespace

std::vector<std::pair<std::string, std::string>> LogStore::figures() const {
    return {{"groupCommits", std::to_string(stats_.commits)},
            {"lmdbTransactions", std::to_string(stats_.transactions)},
            {"walSyncs", std::to_string(wal_->stats().syncs)},
            {"walSegments", std::to_string(wal_->segment_count())},
            {"deferredCommitIndexWrites", std::to_string(stats_.deferred)}};
}

std::unique_ptr<LogStore> LogStore::open(const Options& opts, Status& status) {
    std::unique_ptr<LogStore> s(new LogStore());
    // One process per data dir: a second writer would interleave WAL records.
    if (status = s->lock_.acquire(opts.dir); !status.ok()) return nullptr;
    auto lmdb = LmdbMetaStore::open(opts.dir, opts.map_size_bytes, opts.sync, status);
    if (!lmdb) return nullptr;
    s->lmdb_ = lmdb.get();
    s->meta_ = std::move(lmdb);
    s->wal_ = Wal::open(WalOptions{opts.dir + "/wal", opts.wal_segment_bytes, opts.sync}, status);
    if (!s->wal_) return nullptr;
    s->repaired_ = s->wal_->repaired();
    if (s->lmdb_->format_v1())
        if (status = s->lmdb_->migrate_v1(*s->wal_, s->repaired_); !status.ok()) return nullptr;
    if (status = s->finish_open(); !status.ok()) return nullptr;
    return s;
}

std::unique_ptr<LogStore> LogStore::open(std::unique_ptr<MetaStore> meta, const WalOptions& wal, Status& status) {
    std::unique_ptr<LogStore> s(new LogStore());
    s->meta_ = std::move(meta);
    s->wal_ = Wal::open(wal, status);
    if (!s->wal_) return nullptr;
    s->repaired_ = s->wal_->repaired();
    if (status = s->finish_open(); !status.ok()) return nullptr;
    return s;
}

Status LogStore::finish_open() {
    MetaRecords recs;
    if (auto st = meta_->read(recs, false); !st.ok()) return st;
    std::optional<raft::SnapshotMeta> meta;
    if (auto st = decode_snapshot_meta(recs, meta); !st.ok()) return st;
    if (meta) {
        snapshot_index_ = meta->index;
        snapshot_term_ = meta->term;
    }
    std::string error;
    if (auto body = recs.hard_state ? unsealed(*recs.hard_state) : std::nullopt)
        if (auto hs = raft::decode_hard_state(*body, error)) durable_hs_ = *hs;
    if (auto st = reconcile_with_snapshot(); !st.ok()) return st;
    refresh_bounds();
    return {};
}

// A crash between a snapshot from the leader and the WAL reset leaves entries the
// snapshot replaced. Entries continue a snapshot only when the WAL holds its last
// entry with its term (log matching); otherwise they are stale and go.
Status LogStore::reconcile_with_snapshot() {
    if (snapshot_index_ == 0 || wal_->empty()) return {};
    const raft::Index wf = wal_->first_index(), wl = wal_->last_index();
    if (wf > snapshot_index_ + 1)
        return {Errc::corrupt, "log entry " + std::to_string(wf) + ": gap, expected " +
                                   std::to_string(snapshot_index_ + 1) + " after the snapshot"};
    if (wf == snapshot_index_ + 1 || wal_->term_at(snapshot_index_) == snapshot_term_) return {};
    if (auto st = wal_->reset(); !st.ok()) return st;
    repaired_ = "discarded log entries " + std::to_string(wf) + ".." + std::to_string(wl) + " that the snapshot at " +
                std::to_string(snapshot_index_) + " replaced";
    return {};
}

void LogStore::refresh_bounds() {
    const raft::Index wl = wal_->last_index();
    if (wl <= snapshot_index_) {
        first_index_ = last_index_ = 0;
        return;
    }
    first_index_ = std::max(wal_->first_index(), snapshot_index_ + 1);
    last_index_ = wl;
}

Status LogStore::commit_meta(const std::optional<raft::HardState>& hs, const raft::Snapshot* snapshot,
                             raft::Index kept_last) {
    MetaWrite w;
    std::string snapshot_meta, hard_state;
    if (snapshot) {
        if (!snapshot->data) return {Errc::invalid, "snapshot without data"};
        snapshot_meta = sealed(raft::encode_snapshot_meta(snapshot->meta));
        w.snapshot_meta = &snapshot_meta;
        w.snapshot_data = snapshot->data.get();
    }
    std::optional<raft::HardState> written;
    if (hs) {
        // Never a commit index beyond the entries already durable and kept: those of
        // this write follow in the WAL (after it cuts what they replace), and a crash
        // before them must still load.
        written = *hs;
        const raft::Index durable_last =
            snapshot ? snapshot->meta.index : std::min(std::max(last_index_, snapshot_index_), kept_last);
        written->commit = std::min(written->commit, durable_last);
        hard_state = sealed(raft::encode_hard_state(*written));
        w.hard_state = &hard_state;
    }
    if (auto st = meta_->commit(w); !st.ok()) return st;
    ++stats_.transactions;
    if (snapshot) {
        snapshot_index_ = snapshot->meta.index;
        snapshot_term_ = snapshot->meta.term;
    }
    if (written) {
        durable_hs_ = written;
        if (*written == *hs)
            deferred_hs_.reset();
        else
            deferred_hs_ = hs;
    }
    return {};
}

Status LogStore::write(const std::vector<const WriteBatch*>& batches) {
    // Entries need the WAL; a new term or vote, or a snapshot, need a meta store commit.
    std::optional<raft::HardState> last_hs = deferred_hs_ ? deferred_hs_ : durable_hs_;
    bool entries = false, snapshot = false, term_or_vote = false;
    for (const WriteBatch* b : batches) {
        entries = entries || !b->entries.empty();
        snapshot = snapshot || b->snapshot.has_value();
        if (b->hard_state) {
            if (!last_hs || b->hard_state->term != last_hs->term || b->hard_state->vote != last_hs->vote)
                term_or_vote = true;
            last_hs = b->hard_state;
        }
    }
    if (!entries && !snapshot && !term_or_vote) {
        if (last_hs && !(durable_hs_ && *last_hs == *durable_hs_)) deferred_hs_ = last_hs;
        ++stats_.deferred;
        return {};
    }
    return commit(batches, last_hs, term_or_vote);
}

Status LogStore::commit(const std::vector<const WriteBatch*>& batches, const std::optional<raft::HardState>& last_hs,
                        bool term_or_vote) {
    // Fold the batches into the newest snapshot and one run of entries from `cut` on.
    const raft::Snapshot* snapshot = nullptr;
    raft::Index floor = snapshot_index_;
    raft::Index next = std::max(last_index_, snapshot_index_) + 1;
    raft::Index cut = next;
    std::vector<const raft::Entry*> tail;
    std::uint64_t count = 0;
    for (const WriteBatch* b : batches) {
        if (b->snapshot) {
            if (!b->snapshot->data) return {Errc::invalid, "snapshot without data"};
            snapshot = &*b->snapshot;
            floor = snapshot->meta.index;
            next = cut = floor + 1;
            tail.clear();
        }
        if (b->entries.empty()) continue;
        const raft::Index f = b->entries.front().index;
        if (f <= floor)
            return {Errc::invalid,
                    "entry " + std::to_string(f) + " is covered by the snapshot at " + std::to_string(floor)};
        if (f > next)
            return {Errc::invalid, "entry " + std::to_string(f) + " leaves a gap after " + std::to_string(next - 1)};
        if (f < cut) {
            cut = f;
            tail.clear();
        } else {
            tail.resize(f - cut);
        }
        for (const raft::Entry& e : b->entries) {
            if (e.index != cut + tail.size()) return {Errc::invalid, "entries in a batch are not contiguous"};
            tail.push_back(&e);
        }
        next = cut + tail.size();
        count += b->entries.size();
    }
    auto fail = [this](Status st) {
        if (st.code == Errc::map_full) ++stats_.map_full_errors;
        refresh_bounds();
        return st;
    };
    if (term_or_vote || snapshot) {
        if (auto st = commit_meta(last_hs, snapshot, cut - 1); !st.ok()) return fail(st);
    }
    if (snapshot)
        if (auto st = wal_->reset(); !st.ok()) return fail(st);
    const std::uint64_t bytes = wal_->stats().bytes_written;
    if (auto st = wal_->write(cut, tail); !st.ok()) return fail(st);
    refresh_bounds();
    if (!term_or_vote && !snapshot && last_hs && !(durable_hs_ && *last_hs == *durable_hs_)) deferred_hs_ = last_hs;
    ++stats_.commits;
    stats_.entries_written += count;
    stats_.bytes_written += wal_->stats().bytes_written - bytes;
    return {};
}

Status LogStore::flush() {
    if (!deferred_hs_) return {};
    if (auto st = commit_meta(deferred_hs_, nullptr); !st.ok()) return st;
    ++stats_.commits;
    return {};
}

Status LogStore::save_snapshot(const raft::SnapshotMeta& meta, const std::string& data) {
    const raft::Snapshot snap{meta, std::make_shared<const std::string>(data)};
    if (auto st = commit_meta(std::nullopt, &snap); !st.ok()) {
        if (st.code == Errc::map_full) ++stats_.map_full_errors;
        return st;
    }
    ++stats_.commits;
    auto st = wal_->release_to(meta.index);
    refresh_bounds();
    return st;
}

namespace {
// Hard state and snapshot, every checksum verified.
Status decode_meta(const MetaRecords& recs, Loaded& out) {
    std::string error;
    if (recs.hard_state) {
        auto body = unsealed(*recs.hard_state);
        auto hs = body ? raft::decode_hard_state(*body, error) : std::nullopt;
        if (!hs) return {Errc::corrupt, "hard state: " + (body ? error : std::string("checksum mismatch"))};
        out.hard_state = *hs;
    }
    std::optional<raft::SnapshotMeta> meta;
    if (auto st = decode_snapshot_meta(recs, meta); !st.ok()) return st;
    if (meta) {
        out.snapshot = *meta;
        const auto& data = recs.snapshot_data;
        if (!data || data->size() != meta->size || crc32c(*data) != meta->checksum)
            return {Errc::corrupt, "snapshot at index " + std::to_string(meta->index) + ": data checksum mismatch"};
        out.snapshot_data = data;
    }
    return {};
}
}  // namespace

Status LogStore::read_entries(raft::Index from, std::size_t count, std::size_t bytes,
                              std::vector<raft::Entry>& out) const {
    if (last_index_ == 0 || from < first_index_ || from > last_index_)
        return {Errc::invalid, "log entry " + std::to_string(from) + ": not in the stored log [" +
                                   std::to_string(first_index_) + ", " + std::to_string(last_index_) + "]"};
    return wal_->read(from, out, count, bytes);
}

Status LogStore::load(Loaded& out, std::size_t payload_bytes_max) const {
    out = Loaded{};
    MetaRecords recs;
    if (auto st = meta_->read(recs, true); !st.ok()) return st;
    if (auto st = decode_meta(recs, out); !st.ok()) return st;
    if (last_index_ != 0) {
        raft::PayloadWindow window(payload_bytes_max != 0 ? payload_bytes_max : SIZE_MAX);
        for (raft::Index next = first_index_; next <= last_index_;) {
            const std::size_t had = out.entries.size();
            if (auto st = wal_->read(next, out.entries, SIZE_MAX, 4u << 20); !st.ok()) return st;
            if (out.entries.size() == had) break;  // checked below
            window.take(out.entries);
            next = out.entries.back().index + 1;
        }
        if (payload_bytes_max != 0) out.cached_from = window.cached_from(out.entries);
        const raft::Index expect = out.snapshot.index + 1;
        if (out.entries.empty() || out.entries.front().index != expect)
            return {Errc::corrupt,
                    "log entry " + std::to_string(first_index_) + ": gap, expected " + std::to_string(expect)};
    }
    if (out.hard_state.commit > out.snapshot.index + out.entries.size())
        return {Errc::corrupt, "hard state commit " + std::to_string(out.hard_state.commit) + " is beyond the log"};
    return {};
}

Status LogStore::read_copy(const std::string& dir, Loaded& out) {
    out = Loaded{};
    MetaRecords recs;
    if (auto st = LmdbMetaStore::read_copy(dir, recs); !st.ok()) return st;
    return decode_meta(recs, out);
}

Status LogStore::copy_to(const std::string& dir) const {
    if (lmdb_ == nullptr) return {Errc::invalid, "this store keeps no LMDB environment to copy"};
    return lmdb_->copy_to(dir);
}

}  // namespace raftor::storage
