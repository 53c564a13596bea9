#pragma once
// The replicated key-value namespace: a pure state machine. Committed commands go
// in (in log order), results come out. Every successful change bumps one global
// revision (like etcd's), so compare-and-set reads naturally.
//
// The keys and values live in the state's tables (StateDb: LMDB on a node), not in
// memory; the clients' last requests are still kept in memory, bounded, and in snapshots.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "runtime/state/state_db.hpp"

namespace raftor::state {

struct KvValue {
    std::string value;
    std::uint64_t revision = 0;
    std::uint64_t create_revision = 0;
};

struct RequestId {
    std::uint64_t client = 0;  // 0: no deduplication
    std::uint64_t seq = 0;
};

struct KvCommand {
    enum class Op : std::uint8_t { put, del } op = Op::put;
    RequestId request;
    std::string key;
    std::string value;
    std::optional<std::uint64_t> prev_revision;  // compare-and-set; 0 = must not exist
};

struct KvResult {
    bool ok = false;             // false: the compare-and-set precondition failed
    std::uint64_t revision = 0;  // of the change when ok; the key's current one when not
    bool duplicate = false;      // a retried request: the first outcome, not applied again
};

// Limits checked before proposing (and again when decoding: bad bytes never apply).
constexpr std::size_t kv_key_bytes_max = 1024;
constexpr std::size_t kv_value_bytes_max = 1 << 20;
// Clients whose last request is remembered; past it the one unused longest is forgotten
// (a retry from it after that applies again, as with etcd's lease-less writes).
constexpr std::size_t kv_sessions_max = 10'000;

class KvStore {
public:
    KvStore();                      // in a store of its own, in memory
    explicit KvStore(StateDb& db);  // in `db`'s tables, which it reads on the way
    KvStore(const KvStore&) = delete;
    KvStore& operator=(const KvStore&) = delete;
    KvStore(KvStore&&) noexcept;
    ~KvStore();

    // Writes into the db's open batch, or into a batch of its own committed at `index`.
    KvResult apply(std::uint64_t index, const KvCommand& cmd);
    std::optional<KvValue> get(const std::string& key) const;

    std::uint64_t applied_index() const { return meta_.applied_index; }
    std::uint64_t revision() const { return meta_.revision; }
    std::size_t size() const { return meta_.keys; }
    // Bytes of the keys and values (for sizing a snapshot before it is built).
    std::size_t data_bytes() const { return meta_.bytes; }
    std::size_t sessions() const { return sessions_.size(); }
    StateDb& db() const { return *db_; }

    std::string snapshot() const;
    // Replaces the state; on bad bytes leaves it untouched and says why.
    std::optional<std::string> restore(const std::string& bytes);
    // Reads its figures and sessions from the tables again (after they were rebuilt under
    // it, or when a node opens its store).
    void reload();

private:
    friend struct KvCodec;
    // Kept in kv_meta, and here for reading.
    struct Meta {
        std::uint64_t applied_index = 0;
        std::uint64_t revision = 0;
        std::uint64_t keys = 0;
        std::uint64_t bytes = 0;
    };
    void write_meta(const Meta& m);
    struct Session {
        std::uint64_t seq = 0;
        KvResult result;
        std::uint64_t touched = 0;  // session_clock_ when last used
    };
    void remember(std::uint64_t client, std::uint64_t seq, const KvResult& r);
    void write_session(std::uint64_t client);  // its row, or none when it is gone
    std::unique_ptr<StateDb> own_;             // when it has no db of another's
    StateDb* db_;
    Meta meta_;
    std::unordered_map<std::uint64_t, Session> sessions_;
    std::map<std::uint64_t, std::uint64_t> session_age_;  // touched -> client, oldest first
    std::uint64_t session_clock_ = 0;
};

// Cap'n Proto payload of a normal entry (schema/state.capnp).
std::string encode_command(const KvCommand& cmd);
std::optional<KvCommand> decode_command(std::string_view bytes, std::string& error);
// Validates a command's key and value; the reason when invalid.
std::optional<std::string> check_command(const KvCommand& cmd);

}  // namespace raftor::state
