// Log compaction and InstallSnapshot in chunks (dissertation chapter 5, Figure 5.3).
#include "runtime/common/crc32c.hpp"
#include "runtime/raft/assert.hpp"
#include "runtime/raft/raft.hpp"

namespace raftor::raft {

Error Raft::compact(Index index, std::shared_ptr<const std::string> data) {
    if (index <= log_.snapshot_index() || index > applied_) return Error::bad_index;
    RAFT_ASSERT(data != nullptr, "a snapshot has data");
    SnapshotMeta meta{.index = index,
                      .term = *log_.term_at(index),
                      .conf = conf_at(index),
                      .checksum = crc32c(*data),
                      .size = data->size()};
    log_.compact_to(index, meta.term);
    // The base configuration is now the one in force at the snapshot.
    conf_base_ = meta.conf;
    std::erase_if(conf_entries_, [&](const auto& c) { return c.first <= index; });
    snapshot_ = Snapshot{std::move(meta), std::move(data)};
    return Error::none;
}

void Raft::send_snapshot(NodeId to) {
    Progress& pr = progress_.at(to);
    if (!snapshot_.data) return;  // nothing to send yet; the follower waits for one
    pr.become_snapshot(snapshot_);
    send_snapshot_chunk(to, pr);
}

void Raft::send_snapshot_chunk(NodeId to, Progress& pr) {
    const std::string& data = *pr.snapshot.data;
    const std::uint64_t off = std::min<std::uint64_t>(pr.snapshot_offset, data.size());
    const std::size_t n = std::min<std::size_t>(cfg_.snapshot_chunk_bytes_max, data.size() - off);
    pr.snapshot_sent_end = off + n;
    send(Message{.type = MessageType::install_snapshot,
                 .to = to,
                 .snapshot = pr.snapshot.meta,
                 .chunk_offset = off,
                 .chunk = data.substr(off, n),
                 .chunk_last = off + n == data.size()});
}

void Raft::handle_install_snapshot(const Message& m) {
    RAFT_ASSERT(role_ != Role::leader, "at most one leader per term");
    if (role_ != Role::follower) become_follower(term_, m.from);
    leader_ = m.from;
    election_elapsed_ = 0;
    const SnapshotMeta& meta = m.snapshot;
    Message resp{.type = MessageType::install_snapshot_resp, .to = m.from, .index = meta.index, .snapshot = meta};
    if (meta.index <= commit_) {
        // Already have it all: say so; the leader resumes appends after our commit.
        send_after_persist(Message{.type = MessageType::append_resp, .to = m.from, .index = commit_});
        return;
    }
    // A late duplicate of the first chunk must not throw away what followed it.
    const bool partial = incoming_ && incoming_->meta == meta && !incoming_->data.empty();
    if (m.chunk_offset == 0 && !partial) incoming_ = IncomingSnapshot{meta, {}};
    if (!incoming_ || incoming_->meta != meta || m.chunk_offset != incoming_->data.size()) {
        // Out of order or for another snapshot: tell the leader where we are.
        const bool same = incoming_ && incoming_->meta == meta;
        resp.chunk_offset = same ? incoming_->data.size() : 0;
        resp.reject = !same;
        send(std::move(resp));
        return;
    }
    incoming_->data += m.chunk;
    if (!m.chunk_last) {
        resp.chunk_offset = incoming_->data.size();
        send(std::move(resp));
        return;
    }
    auto data = std::make_shared<const std::string>(std::move(incoming_->data));
    incoming_.reset();
    if (data->size() != meta.size || crc32c(*data) != meta.checksum) {
        resp.reject = true;  // corrupted in flight: start over
        resp.chunk_offset = 0;
        send(std::move(resp));
        return;
    }
    install_snapshot(meta, std::move(data));
    resp.chunk_offset = meta.size;
    resp.chunk_last = true;
    send_after_persist(std::move(resp));
}

void Raft::install_snapshot(const SnapshotMeta& meta, std::shared_ptr<const std::string> data) {
    if (log_.matches(meta.index, meta.term)) {
        // Section 5.3: our log already holds the snapshot's last entry; keep what follows.
        commit_to(meta.index);
        return;
    }
    log_.reset(meta.index, meta.term);
    conf_base_ = meta.conf;
    conf_entries_.clear();
    rebuild_conf();
    commit_ = meta.index;
    applied_ = meta.index;
    apply_fetched_.clear();  // older than the snapshot
    stable_ = meta.index;
    unissued_from_ = 0;
    snapshot_ = Snapshot{meta, data};
    pending_install_ = Snapshot{meta, std::move(data)};
}

void Raft::handle_install_snapshot_response(const Message& m) {
    if (role_ != Role::leader) return;
    auto it = progress_.find(m.from);
    if (it == progress_.end()) return;
    Progress& pr = it->second;
    pr.recent_active = true;
    if (pr.state != ProgressState::snapshot || !(m.snapshot == pr.snapshot.meta)) return;
    if (m.chunk_last && !m.reject) {
        pr.maybe_update(pr.snapshot.meta.index);
        pr.become_probe();
        send_append(m.from, true);
        return;
    }
    // One chunk is in flight at a time, and only the answer to it sends the next: the
    // answers to duplicates and resends would each send another chunk, a ping-pong that
    // grows with every resend. A lost chunk is resent once per heartbeat interval.
    // An answer says how much the follower holds: the chunk in flight's end moves on; what
    // we believed confirmed, or anything up to the chunk's end, is a late answer to an
    // earlier send; less than we believed means it lost some (a restart): go back there.
    const std::uint64_t offset = m.reject ? 0 : m.chunk_offset;
    const bool stale = pr.snapshot_sent_end != 0 && offset >= pr.snapshot_offset && offset < pr.snapshot_sent_end;
    if (stale) return;
    if (offset > pr.snapshot_offset) pr.snapshot_progressed = true;
    pr.snapshot_offset = offset;
    send_snapshot_chunk(m.from, pr);
}

}  // namespace raftor::raft
