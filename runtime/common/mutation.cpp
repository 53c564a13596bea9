#include "runtime/common/mutation.hpp"

#include <array>
#include <atomic>

namespace raftor::mutation {

namespace {
constexpr std::array<const char*, count> names = {
    "commit-by-counting",   "commit-minority",     "double-vote",          "ack-before-durable",
    "read-without-confirm", "fire-without-dedup",  "launch-before-commit", "recover-forgets-running",
    "seal-out-of-order",    "wal-ack-before-sync", "wal-fixed-prealloc"};
std::array<std::atomic<bool>, count> switched{};
}  // namespace

const char* name(Id id) {
    return names[static_cast<std::size_t>(id)];
}

std::optional<Id> parse(std::string_view n) {
    for (std::size_t i = 0; i < count; ++i)
        if (n == names[i]) return static_cast<Id>(i);
    return std::nullopt;
}

bool on(Id id) {
    return switched[static_cast<std::size_t>(id)].load(std::memory_order_relaxed);
}

void set(Id id, bool v) {
    switched[static_cast<std::size_t>(id)].store(v, std::memory_order_relaxed);
}

void clear() {
    for (auto& s : switched) s.store(false, std::memory_order_relaxed);
}

}  // namespace raftor::mutation
