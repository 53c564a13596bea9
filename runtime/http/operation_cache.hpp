#pragma once
// The hot operations' definitions, rendered: GET /operations and /operations/:id answer
// from here while an operation's version is unchanged. Bounded by cacheMaxSize
// (CACHE_MAX_SIZE), with the hit and miss figures the runbooks tune it by. Shared by the
// gateway (figures) and the state machine's thread (reads), so it locks.
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "runtime/common/lru_cache.hpp"
#include "runtime/state/operation.hpp"

namespace raftor::http {

class OperationCache {
public:
    explicit OperationCache(std::size_t capacity) : lru_(capacity) {}

    // `spec`, set by the put at log index `defined_index`, as JSON: rendered only on a miss.
    nlohmann::json definition(const state::OperationSpec& spec, std::uint64_t defined_index);

    struct Figures {
        std::size_t size = 0, capacity = 0;
        std::uint64_t hits = 0, misses = 0, evictions = 0;
        double hit_rate() const { return hits + misses ? double(hits) / double(hits + misses) : 0.0; }
    };
    Figures figures() const;

private:
    mutable std::mutex mu_;
    // Keyed by id and the index of the put that defined it (not the version, which a
    // deleted and re-created operation starts again): a replaced definition is never
    // served, and its old entry ages out.
    common::LruCache<std::string, nlohmann::json> lru_;
};

}  // namespace raftor::http
