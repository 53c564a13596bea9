#pragma once
// The state store in memory, for the simulator and tests. Like LMDB it keeps old
// versions while a view may read them: each key holds its values by commit, and a
// commit drops the versions of the keys it writes that no open view can see.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "runtime/storage/state_store.hpp"

namespace raftor::storage {

class MemoryStateStore final : public StateStore {
public:
    MemoryStateStore();
    std::unique_ptr<StateRead> read(Status& status) override;
    std::unique_ptr<StateWrite> write(Status& status) override;
    Status commit(std::unique_ptr<StateWrite> write, std::uint64_t applied_index) override;
    // Always room, unless set_room() says how much the store's disk has left: a full
    // disk, for the simulator and tests.
    Status reserve(std::uint64_t bytes) override;
    void set_room(std::optional<std::uint64_t> bytes);

    // Versions held in all (for tests: old ones go once no view can see them).
    std::size_t versions_held() const;

    struct Version {
        std::uint64_t commit = 0;
        std::shared_ptr<const std::string> value;  // null: deleted at this commit
    };
    struct Shared {
        mutable std::mutex mu;
        std::map<std::string, std::vector<Version>> data;  // table byte + key -> oldest first
        std::uint64_t last_commit = 0;
        std::map<std::uint64_t, std::uint64_t> applied_at;  // commit -> applied index (those views see)
        std::multiset<std::uint64_t> readers;               // commits open views read at
        bool writing = false;
        std::optional<std::uint64_t> room;  // set: the bytes a reserve may ask for
    };

private:
    std::shared_ptr<Shared> shared_;
};

}  // namespace raftor::storage
