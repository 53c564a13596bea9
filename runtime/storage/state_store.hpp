#pragma once
// Where the replicated state machine keeps its tables: ordered keys and values, read
// through consistent views and written in one transaction per applied batch, which
// also records the index it applied through. Two backends behave alike (the same tests
// run on both): LMDB on a node, memory in the simulator, which cannot hold LMDB's
// memory map.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/storage/status.hpp"

namespace raftor::storage {

// A table is a byte: the state layer names its tables. Keys sort as bytes.
using TableId = std::uint8_t;
// Reserved for the store's own records (the applied index).
inline constexpr TableId store_table = 0xFF;
// The longest key: LMDB's limit (511 bytes), less the table's byte. Both backends refuse
// a longer one alike.
inline constexpr std::size_t state_key_max = 510;

// The key as the backends hold it: the table's byte, then the key.
inline std::string state_full_key(TableId table, std::string_view key) {
    std::string k(1, static_cast<char>(table));
    k.append(key);
    return k;
}
// A key over state_key_max is refused, with its size.
inline Status check_state_key(std::string_view key) {
    if (key.size() > state_key_max)
        return {Errc::invalid, "a state key of " + std::to_string(key.size()) + " bytes is over the limit of " +
                                   std::to_string(state_key_max)};
    return {};
}

// Called with each key and value of a scan, in key order; false stops the scan. Both
// views stay valid only during the call.
using ScanFn = std::function<bool(std::string_view key, std::string_view value)>;

class StateRead {
public:
    virtual ~StateRead() = default;
    // The value at `key`, or nothing; the view stays valid as long as this view (or,
    // in a write, until that key is written again).
    virtual Status get(TableId table, std::string_view key, std::optional<std::string_view>& out) const = 0;
    // Keys from `from` (included) up to `to` (excluded; empty: the table's end).
    virtual Status scan(TableId table, std::string_view from, std::string_view to, const ScanFn& f) const = 0;
    // The index the last commit this view sees applied through (0: none yet).
    virtual std::uint64_t applied_index() const = 0;
};

class StateWrite : public StateRead {
public:
    virtual Status put(TableId table, std::string_view key, std::string_view value) = 0;
    // Deleting a key that is not there is not an error.
    virtual Status del(TableId table, std::string_view key) = 0;
    // Deletes every key of every table, and the applied index: the state is about to be
    // rebuilt, and the commit may then record any index.
    virtual Status clear() = 0;
};

class StateStore {
public:
    virtual ~StateStore() = default;
    // A consistent view of the last commit; any number may be open, and writes go on.
    virtual std::unique_ptr<StateRead> read(Status& status) = 0;
    // The one write in progress (one at a time: a second while one is open is refused).
    virtual std::unique_ptr<StateWrite> write(Status& status) = 0;
    // Makes the write's changes and `applied_index` visible together, or none of them.
    // The index never goes back (unless the write cleared the state).
    virtual Status commit(std::unique_ptr<StateWrite> write, std::uint64_t applied_index) = 0;
    // Room for the next commits to grow the store by `bytes` without asking the file
    // system for more: a full disk is then met before a batch starts, when applying can
    // wait for room, not in the middle of one, when it cannot. map_full when there is not
    // that much room (nothing else changes).
    virtual Status reserve(std::uint64_t bytes) = 0;
};

}  // namespace raftor::storage
