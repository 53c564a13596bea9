#pragma once
// What an actor keeps about the messages it handles, for the console: the last
// `capacity` of them in a ring (type and time, numbered by a sequence that never
// restarts, so a reader can ask for "what came after N" and learn what it missed), and
// a message rate over the last whole seconds. Plain data, no clock: the caller passes
// the time. Recording is a few stores: it runs in every handler.
#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <vector>

namespace raftor::introspect {

struct TraceEntry {
    std::uint64_t seq = 0;  // 1 for the actor's first message
    std::int64_t at_ms = 0;
    const char* type = "";  // a string literal naming the message type
};

class MessageTrace {
public:
    static constexpr std::size_t capacity = 256;

    void record(const char* type, std::int64_t now_ms) {
        ++seq_;
        ring_[seq_ % capacity] = TraceEntry{seq_, now_ms, type};
    }
    std::uint64_t last_seq() const { return seq_; }
    // The oldest sequence still held (1 when none was overwritten; last_seq()+1 when empty).
    std::uint64_t first_held() const { return seq_ >= capacity ? seq_ - capacity + 1 : 1; }
    // The entries after `after`, oldest first, at most `limit` of them (the newest).
    std::vector<TraceEntry> since(std::uint64_t after, std::size_t limit = capacity) const {
        std::uint64_t from = std::max(after + 1, first_held());
        if (seq_ >= from && seq_ - from + 1 > limit) from = seq_ - limit + 1;
        std::vector<TraceEntry> out;
        for (std::uint64_t s = from; s <= seq_; ++s) out.push_back(ring_[s % capacity]);
        return out;
    }

private:
    std::uint64_t seq_ = 0;
    std::array<TraceEntry, capacity> ring_{};
};

// Messages per second over the last `window_s` whole seconds (fewer while the actor
// is younger than that), counted in one-second buckets.
class RateMeter {
public:
    static constexpr std::int64_t window_s = 10;

    void add(std::int64_t now_ms) {
        const std::int64_t sec = floor_div(now_ms, 1000);
        if (first_sec_ == unset) first_sec_ = current_sec_ = sec;
        advance(sec);
        ++buckets_[index(sec)];
    }
    double per_second(std::int64_t now_ms) const {
        if (first_sec_ == unset) return 0.0;
        const std::int64_t sec = floor_div(now_ms, 1000);
        // Whole seconds before `sec` that the buckets still hold.
        std::uint64_t sum = 0;
        std::int64_t seconds = 0;
        for (std::int64_t s = sec - window_s; s < sec; ++s) {
            if (s < first_sec_) continue;
            ++seconds;
            if (s <= current_sec_ && s > current_sec_ - static_cast<std::int64_t>(buckets_.size()))
                sum += buckets_[index(s)];
        }
        if (seconds == 0) {
            // Younger than a second: what it handled so far, as a per-second figure.
            const std::int64_t ms = std::max<std::int64_t>(1, now_ms - first_sec_ * 1000);
            return sec == current_sec_ ? static_cast<double>(buckets_[index(sec)]) * 1000.0 / ms : 0.0;
        }
        return static_cast<double>(sum) / static_cast<double>(seconds);
    }

private:
    static constexpr std::int64_t unset = std::numeric_limits<std::int64_t>::min();
    static std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && (a < 0)); }
    std::size_t index(std::int64_t sec) const {
        return static_cast<std::size_t>(((sec % std::int64_t(buckets_.size())) + std::int64_t(buckets_.size())) %
                                        std::int64_t(buckets_.size()));
    }
    void advance(std::int64_t sec) {
        if (sec <= current_sec_) return;  // a clock that stepped back counts in the current second
        const std::int64_t steps = std::min<std::int64_t>(sec - current_sec_, std::int64_t(buckets_.size()));
        for (std::int64_t i = 1; i <= steps; ++i) buckets_[index(current_sec_ + i)] = 0;
        current_sec_ = sec;
    }

    std::int64_t first_sec_ = unset;
    std::int64_t current_sec_ = unset;
    std::array<std::uint64_t, window_s + 1> buckets_{};  // the window plus the second under way
};

}  // namespace raftor::introspect
