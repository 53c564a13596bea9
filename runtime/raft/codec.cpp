#include "runtime/raft/codec.hpp"

#include <algorithm>

#include "runtime/raft/capnp_io.hpp"
#include "runtime/raft/conf_change_codec.hpp"
#include "schema/raft.capnp.h"

namespace raftor::raft {

namespace {

using detail::bytes_of;
using detail::string_of;

void fill_entry(schema::Entry::Builder b, const Entry& e) {
    b.setTerm(e.term);
    b.setIndex(e.index);
    b.setType(static_cast<schema::EntryType>(e.type));
    b.setPayload(bytes_of(e.payload));
}

std::optional<Entry> read_entry(schema::Entry::Reader r, std::string& error) {
    const auto type = static_cast<unsigned>(r.getType());
    if (type > static_cast<unsigned>(EntryType::noop)) {
        error = "entry " + std::to_string(r.getIndex()) + ": unknown type " + std::to_string(type);
        return std::nullopt;
    }
    Entry e{.term = r.getTerm(),
            .index = r.getIndex(),
            .type = static_cast<EntryType>(type),
            .payload = string_of(r.getPayload())};
    if (e.index == 0 || e.term == 0) {
        error = "entry has index " + std::to_string(e.index) + " and term " + std::to_string(e.term);
        return std::nullopt;
    }
    if (e.type == EntryType::conf_change && !decode_conf_change(e.payload)) {
        error = "entry " + std::to_string(e.index) + ": conf-change payload does not decode";
        return std::nullopt;
    }
    return e;
}

void fill_conf(schema::ConfState::Builder b, const ConfState& c) {
    auto v = b.initVoters(static_cast<unsigned>(c.voters.size()));
    for (unsigned i = 0; i < v.size(); ++i) v.set(i, c.voters[i]);
    auto l = b.initLearners(static_cast<unsigned>(c.learners.size()));
    for (unsigned i = 0; i < l.size(); ++i) l.set(i, c.learners[i]);
}

ConfState read_conf(schema::ConfState::Reader r) {
    ConfState c;
    for (auto id : r.getVoters()) c.voters.push_back(id);
    for (auto id : r.getLearners()) c.learners.push_back(id);
    return c;
}

void fill_meta(schema::SnapshotMeta::Builder b, const SnapshotMeta& m) {
    b.setIndex(m.index);
    b.setTerm(m.term);
    fill_conf(b.initConf(), m.conf);
    b.setChecksum(m.checksum);
    b.setSize(m.size);
}

std::optional<SnapshotMeta> read_meta(schema::SnapshotMeta::Reader r, std::string& error) {
    SnapshotMeta m{.index = r.getIndex(),
                   .term = r.getTerm(),
                   .conf = read_conf(r.getConf()),
                   .checksum = r.getChecksum(),
                   .size = r.getSize()};
    if (!valid_conf_state(m.conf)) {
        error = "snapshot metadata: configuration has unsorted, duplicate or zero ids";
        return std::nullopt;
    }
    return m;
}

// Enough for all of a message in most cases (see detail::first_segment_words).
unsigned message_segment_words(const Message& m) {
    std::size_t bytes = 256 + m.chunk.size() + m.read_context.size() +
                        16 * (m.snapshot.conf.voters.size() + m.snapshot.conf.learners.size());
    for (const Entry& e : m.entries) bytes += 48 + e.payload.size();
    return detail::first_segment_words(bytes);
}

}  // namespace

bool valid_conf_state(const ConfState& c) {
    auto strictly_sorted = [](const std::vector<NodeId>& v) {
        return std::adjacent_find(v.begin(), v.end(), std::greater_equal<>()) == v.end() &&
               std::find(v.begin(), v.end(), no_node) == v.end();
    };
    if (!strictly_sorted(c.voters) || !strictly_sorted(c.learners)) return false;
    for (NodeId l : c.learners)
        if (std::binary_search(c.voters.begin(), c.voters.end(), l)) return false;
    return true;
}

std::string encode_message(const Message& m, bool ids_implied) {
    capnp::MallocMessageBuilder mb(message_segment_words(m));
    auto b = mb.initRoot<schema::Message>();
    b.setType(static_cast<schema::MessageType>(m.type));
    if (!ids_implied) {
        b.setFrom(m.from);
        b.setTo(m.to);
    }
    b.setTerm(m.term);
    b.setLogTerm(m.log_term);
    b.setIndex(m.index);
    if (!m.entries.empty()) {
        auto es = b.initEntries(static_cast<unsigned>(m.entries.size()));
        for (unsigned i = 0; i < es.size(); ++i) fill_entry(es[i], m.entries[i]);
    }
    b.setCommit(m.commit);
    b.setReject(m.reject);
    b.setRejectHint(m.reject_hint);
    b.setConflictTerm(m.conflict_term);
    b.setTransfer(m.transfer);
    b.setReadSeq(m.read_seq);
    if (m.type == MessageType::install_snapshot || m.type == MessageType::install_snapshot_resp)
        fill_meta(b.initSnapshot(), m.snapshot);
    b.setChunkOffset(m.chunk_offset);
    if (!m.chunk.empty()) b.setChunk(bytes_of(m.chunk));
    b.setChunkLast(m.chunk_last);
    if (!m.read_context.empty()) b.setReadContext(bytes_of(m.read_context));
    return detail::to_bytes(mb);
}

std::optional<Message> decode_message(std::string_view bytes, std::string& error) {
    return detail::decode_root<schema::Message>(
        bytes, error, "raft message", [&](schema::Message::Reader r) -> std::optional<Message> {
            const auto type = static_cast<unsigned>(r.getType());
            if (type >= static_cast<unsigned>(message_type_count)) {
                error = "unknown message type " + std::to_string(type);
                return std::nullopt;
            }
            Message m{.type = static_cast<MessageType>(type),
                      .from = r.getFrom(),
                      .to = r.getTo(),
                      .term = r.getTerm(),
                      .log_term = r.getLogTerm(),
                      .index = r.getIndex()};
            // Both left out: the receiver names them from the link (encode_message).
            if ((m.from == no_node) != (m.to == no_node)) {
                error = "message names a sender without an addressee, or an addressee without a sender";
                return std::nullopt;
            }
            Index expect = m.index + 1;
            for (auto er : r.getEntries()) {
                auto e = read_entry(er, error);
                if (!e) return std::nullopt;
                if (e->index != expect++) {
                    error = "entries are not contiguous after index " + std::to_string(m.index);
                    return std::nullopt;
                }
                m.entries.push_back(std::move(*e));
            }
            m.commit = r.getCommit();
            m.reject = r.getReject();
            m.reject_hint = r.getRejectHint();
            m.conflict_term = r.getConflictTerm();
            m.transfer = r.getTransfer();
            m.read_seq = r.getReadSeq();
            // Only the snapshot messages carry one (the encoder writes it for them alone):
            // on any other it is ignored, so a message means what its type says.
            const bool snapshot_type =
                m.type == MessageType::install_snapshot || m.type == MessageType::install_snapshot_resp;
            if (snapshot_type && r.hasSnapshot()) {
                auto meta = read_meta(r.getSnapshot(), error);
                if (!meta) return std::nullopt;
                m.snapshot = std::move(*meta);
            }
            m.chunk_offset = r.getChunkOffset();
            m.chunk = string_of(r.getChunk());
            m.chunk_last = r.getChunkLast();
            m.read_context = string_of(r.getReadContext());
            return m;
        });
}

std::string encode_entry(const Entry& e) {
    capnp::MallocMessageBuilder mb(detail::first_segment_words(64 + e.payload.size()));
    fill_entry(mb.initRoot<schema::Entry>(), e);
    return detail::to_bytes(mb);
}

std::optional<Entry> decode_entry(std::string_view bytes, std::string& error) {
    return detail::decode_root<schema::Entry>(bytes, error, "log entry",
                                              [&](schema::Entry::Reader r) { return read_entry(r, error); });
}

std::string encode_hard_state(const HardState& hs) {
    capnp::MallocMessageBuilder mb(detail::first_segment_words(64));
    auto b = mb.initRoot<schema::HardState>();
    b.setTerm(hs.term);
    b.setVote(hs.vote);
    b.setCommit(hs.commit);
    return detail::to_bytes(mb);
}

std::optional<HardState> decode_hard_state(std::string_view bytes, std::string& error) {
    return detail::decode_root<schema::HardState>(bytes, error, "hard state",
                                                  [](schema::HardState::Reader r) -> std::optional<HardState> {
                                                      return HardState{r.getTerm(), r.getVote(), r.getCommit()};
                                                  });
}

std::string encode_snapshot_meta(const SnapshotMeta& m) {
    capnp::MallocMessageBuilder mb(
        detail::first_segment_words(128 + 16 * (m.conf.voters.size() + m.conf.learners.size())));
    fill_meta(mb.initRoot<schema::SnapshotMeta>(), m);
    return detail::to_bytes(mb);
}

std::optional<SnapshotMeta> decode_snapshot_meta(std::string_view bytes, std::string& error) {
    return detail::decode_root<schema::SnapshotMeta>(
        bytes, error, "snapshot metadata", [&](schema::SnapshotMeta::Reader r) { return read_meta(r, error); });
}

}  // namespace raftor::raft
