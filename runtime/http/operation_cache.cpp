#include "runtime/http/operation_cache.hpp"

#include "runtime/http/operation_json.hpp"

namespace raftor::http {

nlohmann::json OperationCache::definition(const state::OperationSpec& spec, std::uint64_t defined_index) {
    std::string key = spec.id;
    key += '\0';
    key += std::to_string(defined_index);
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (const auto* j = lru_.get(key)) return *j;
    }
    nlohmann::json j = nlohmann::json::parse(operation_to_json(spec));
    std::lock_guard<std::mutex> lock(mu_);
    lru_.put(key, j);
    return j;
}

OperationCache::Figures OperationCache::figures() const {
    std::lock_guard<std::mutex> lock(mu_);
    return Figures{lru_.size(), lru_.capacity(), lru_.hits(), lru_.misses(), lru_.evictions()};
}

}  // namespace raftor::http
