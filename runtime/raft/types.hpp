#pragma once
// Plain value types of the Raft core. No I/O, no clock: the core only sees these.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace raftor::raft {

using NodeId = std::uint64_t;  // 0 means "none"
using Term = std::uint64_t;
using Index = std::uint64_t;

constexpr NodeId no_node = 0;

enum class EntryType : std::uint8_t { normal = 0, conf_change = 1, noop = 2 };

// An entry's bytes, immutable and shared: the log, the write to disk, the append to
// each follower and the apply all hold the one copy made when the entry was created.
class Payload {
public:
    Payload() = default;
    Payload(std::string bytes)  // NOLINT: implicit, an entry is built from its bytes
        : bytes_(bytes.empty() ? nullptr : std::make_shared<const std::string>(std::move(bytes))) {}
    Payload(const char* bytes) : Payload(std::string(bytes)) {}  // NOLINT

    const std::string& str() const { return bytes_ ? *bytes_ : empty_string(); }
    operator const std::string&() const { return str(); }  // NOLINT
    operator std::string_view() const { return str(); }    // NOLINT
    std::size_t size() const { return str().size(); }
    bool empty() const { return str().empty(); }
    const char* data() const { return str().data(); }
    std::string::const_iterator begin() const { return str().begin(); }
    std::string::const_iterator end() const { return str().end(); }
    // Entries holding the same copy (how many: tests check nothing was copied).
    bool shares_with(const Payload& o) const { return bytes_ && bytes_ == o.bytes_; }

    bool operator==(const Payload& o) const { return str() == o.str(); }
    bool operator==(std::string_view o) const { return str() == o; }
    bool operator==(const std::string& o) const { return str() == o; }
    bool operator==(const char* o) const { return str() == o; }
    template <class Stream>
    friend Stream& operator<<(Stream& os, const Payload& p) {
        return os << p.str();
    }

private:
    static const std::string& empty_string() {
        static const std::string empty;
        return empty;
    }
    std::shared_ptr<const std::string> bytes_;
};

struct Entry {
    Term term = 0;
    Index index = 0;
    EntryType type = EntryType::normal;
    Payload payload;

    bool operator==(const Entry&) const = default;
    // Size used to bound append batches; the fixed part approximates the framing.
    std::size_t size_bytes() const { return payload.size() + 24; }
};

// The entries' size_bytes() together: what an append of them counts against the limits.
inline std::size_t size_bytes(const std::vector<Entry>& entries) {
    std::size_t n = 0;
    for (const Entry& e : entries) n += e.size_bytes();
    return n;
}

struct HardState {
    Term term = 0;
    NodeId vote = no_node;
    Index commit = 0;
    bool operator==(const HardState&) const = default;
};

struct ConfState {
    std::vector<NodeId> voters;    // sorted, unique
    std::vector<NodeId> learners;  // sorted, unique, disjoint from voters
    bool operator==(const ConfState&) const = default;
    bool is_voter(NodeId id) const;
    bool is_learner(NodeId id) const;
    bool is_member(NodeId id) const { return is_voter(id) || is_learner(id); }
    std::size_t quorum() const { return voters.size() / 2 + 1; }
};

enum class ConfChangeType : std::uint8_t { add_voter = 0, remove_voter = 1, add_learner = 2, promote_learner = 3 };

struct ConfChange {
    ConfChangeType type = ConfChangeType::add_voter;
    NodeId node = no_node;
    std::string context;
    ConfState result;  // the configuration once this change is in the log
    bool operator==(const ConfChange&) const = default;
};

struct SnapshotMeta {
    Index index = 0;
    Term term = 0;
    ConfState conf;
    std::uint32_t checksum = 0;  // crc32c of the data
    std::uint64_t size = 0;
    bool operator==(const SnapshotMeta&) const = default;
};

struct Snapshot {
    SnapshotMeta meta;
    std::shared_ptr<const std::string> data;  // shared: leaders stream it in chunks
};

enum class MessageType : std::uint8_t {
    pre_vote = 0,
    pre_vote_resp = 1,
    vote = 2,
    vote_resp = 3,
    append = 4,
    append_resp = 5,
    heartbeat = 6,
    heartbeat_resp = 7,
    install_snapshot = 8,
    install_snapshot_resp = 9,
    timeout_now = 10,
    read_index = 11,
    read_index_resp = 12,
};
constexpr int message_type_count = 13;
const char* to_string(MessageType t);

struct Message {
    MessageType type = MessageType::append;
    NodeId from = no_node;
    NodeId to = no_node;
    Term term = 0;
    Term log_term = 0;
    Index index = 0;
    std::vector<Entry> entries;
    Index commit = 0;
    bool reject = false;
    Index reject_hint = 0;
    Term conflict_term = 0;
    bool transfer = false;
    std::uint64_t read_seq = 0;
    SnapshotMeta snapshot;
    std::uint64_t chunk_offset = 0;
    std::string chunk;
    bool chunk_last = false;
    std::string read_context;

    bool operator==(const Message&) const = default;
};

enum class Role : std::uint8_t { follower, pre_candidate, candidate, leader };
const char* to_string(Role r);

// A linearizable read may be served once the applied index reaches `index`.
struct ReadState {
    Index index = 0;
    std::string context;
};

// What the core wants done. The caller persists hard_state, entries and snapshot
// (in that order, atomically is fine), sends messages, applies committed entries,
// then reports durability with Raft::on_persisted(persist_id).
// Entries [from, from + count) for follower `to`, at most `bytes` of them (at least one);
// `to` is this node itself for entries to apply that the log no longer caches.
struct Fetch {
    NodeId to = no_node;
    Index from = 0;
    std::size_t count = 0;
    std::size_t bytes = 0;
};

struct Ready {
    std::optional<HardState> hard_state;
    // Entries to append; any stored entry at or after entries.front().index is
    // discarded first (a conflicting suffix).
    std::vector<Entry> entries;
    // A snapshot received from the leader: persist it, discard the whole log,
    // and restore the state machine from it.
    std::optional<Snapshot> snapshot;
    std::vector<Message> messages;
    std::vector<Entry> committed;  // durable and committed, in order, to apply
    std::vector<ReadState> read_states;
    // Entries to read back from storage for a follower (their payloads left the log's
    // cache): answer each with Raft::on_fetched, with what was read or nothing.
    std::vector<Fetch> fetches;
    // Non-zero when the caller must call on_persisted(persist_id) once the
    // writes above are durable (even if there were none: held replies wait on it).
    std::uint64_t persist_id = 0;

    bool empty() const {
        return !hard_state && entries.empty() && !snapshot && messages.empty() && committed.empty() &&
               read_states.empty() && fetches.empty() && persist_id == 0;
    }
};

// Tunables of the core. Times are in ticks; the caller decides what a tick is.
struct Config {
    NodeId id = no_node;
    int election_ticks = 10;  // election timeout is randomized in [election_ticks, 2*election_ticks)
    int heartbeat_ticks = 1;
    bool pre_vote = true;
    bool check_quorum = true;
    bool lease_read = false;  // serve ReadIndex from the leader lease (needs check_quorum)
    std::size_t append_bytes_max = 1 << 20;
    std::size_t append_entries_max = 4096;
    std::size_t inflight_appends_max = 256;
    // Bytes of entries sent to one follower and not yet acknowledged (etcd's
    // MaxInflightBytes): what a slow or returning follower can have queued at once.
    // One append always goes out, whatever its size.
    std::size_t inflight_bytes_max = 8u << 20;
    // Bytes of entries a leader proposed and has not committed yet (etcd's
    // MaxUncommittedEntriesSize). Beyond it a proposal is refused (Error::backlogged):
    // backpressure on the clients instead of a log that grows while a quorum is slow
    // or away. One proposal is always taken when nothing is pending. 0: no limit.
    std::size_t uncommitted_bytes_max = 32u << 20;
    std::size_t snapshot_chunk_bytes_max = 1 << 20;
    // Bytes of payloads the log keeps in memory. Older entries, durable and applied,
    // keep only their term; a follower that needs them has them read back from
    // storage (Ready::fetches). 0: no limit.
    std::size_t log_cache_bytes_max = 0;
    // A learner is promoted only when its match index is this close to the leader's.
    Index promote_lag_entries_max = 1000;
    std::uint64_t seed = 1;  // drives the randomized election timeout
};

// The persisted state a core restarts from.
struct Restore {
    HardState hard_state;
    SnapshotMeta snapshot;                             // index 0 when none
    std::shared_ptr<const std::string> snapshot_data;  // for sending to followers
    std::vector<Entry> entries;                        // contiguous, after snapshot.index
    // Entries before it came without their payloads (configuration changes keep theirs):
    // a restart loads only the newest of a long log into memory, and what is to be
    // applied before it is read back from storage. 0: every entry has its payload.
    Index cached_from = 0;
    ConfState initial_conf;  // used only when there is no snapshot and no conf entry
    // The state machine holds the state through this index already (its own store, at
    // or past the snapshot's, within the log): applying resumes after it. 0: after the
    // snapshot.
    Index applied = 0;
};

}  // namespace raftor::raft
