#pragma once
// A bounded least-recently-used map with hit and miss counts. Not thread-safe: its
// owner serializes access. A capacity of 0 caches nothing (every lookup misses).
#include <cstdint>
#include <list>
#include <optional>
#include <unordered_map>
#include <utility>

namespace raftor::common {

template <class Key, class Value>
class LruCache {
public:
    explicit LruCache(std::size_t capacity) : capacity_(capacity) {}

    // The value, marked most recently used; counts a hit or a miss.
    const Value* get(const Key& k) {
        auto it = index_.find(k);
        if (it == index_.end()) {
            ++misses_;
            return nullptr;
        }
        ++hits_;
        order_.splice(order_.begin(), order_, it->second);
        return &it->second->second;
    }

    void put(const Key& k, Value v) {
        if (capacity_ == 0) return;
        auto it = index_.find(k);
        if (it != index_.end()) {
            it->second->second = std::move(v);
            order_.splice(order_.begin(), order_, it->second);
            return;
        }
        order_.emplace_front(k, std::move(v));
        index_.emplace(k, order_.begin());
        trim();
    }

    void erase(const Key& k) {
        auto it = index_.find(k);
        if (it == index_.end()) return;
        order_.erase(it->second);
        index_.erase(it);
    }

    void set_capacity(std::size_t c) {
        capacity_ = c;
        trim();
    }

    std::size_t size() const { return index_.size(); }
    std::size_t capacity() const { return capacity_; }
    std::uint64_t hits() const { return hits_; }
    std::uint64_t misses() const { return misses_; }
    std::uint64_t evictions() const { return evictions_; }

private:
    void trim() {
        while (index_.size() > capacity_) {
            index_.erase(order_.back().first);
            order_.pop_back();
            ++evictions_;
        }
    }

    std::size_t capacity_;
    std::list<std::pair<Key, Value>> order_;  // most recently used first
    std::unordered_map<Key, typename std::list<std::pair<Key, Value>>::iterator> index_;
    std::uint64_t hits_ = 0, misses_ = 0, evictions_ = 0;
};

}  // namespace raftor::common
