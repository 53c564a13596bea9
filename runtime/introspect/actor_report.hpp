#pragma once
// What one actor says about itself when the introspector asks: the figures every actor
// has (mailbox, messages handled, the last one and how long ago) and a summary of its
// own state. Plain data: the HTTP API renders it, the console reads it.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace raftor::introspect {

struct ActorReport {
    std::string name;  // unique in the node: "raft_peer", "storage", ...
    std::string kind;  // what it is: "consensus", "storage", "timer", "transport", "gateway", ...
    std::uint64_t mailbox_depth = 0;
    std::uint64_t messages_handled = 0;
    std::string last_message;               // the type of the last message handled
    std::uint64_t last_message_age_ms = 0;  // how long ago (actor clock)
    bool responsive = true;  // false: it did not answer the introspector in time (this is its last report)
    std::string stopped;     // non-empty: the actor is gone, and why
    double rate_per_s = 0;   // messages handled per second, over the last whole seconds
    std::vector<std::pair<std::string, std::string>> state;  // its own summary, in its own order

    // The last messages it handled, oldest first (a bounded ring in the actor).
    struct Traced {
        std::uint64_t seq = 0;  // 1 for its first message; gaps mean the ring overwrote some
        std::string type;
        std::int64_t at_ms = 0;  // wall clock, Unix milliseconds (the actor clock until to_wall_time)
    };
    std::vector<Traced> trace;
    bool on_actor_clock = false;  // the trace's times are still on the actor clock
    std::int64_t clock_ms = 0;    // the actor clock when the report was made

    // The trace's times from the actor clock to the wall clock, which read `wall_now_ms`
    // when the actor clock read clock_ms (close enough: within one inspection round).
    void to_wall_time(std::int64_t wall_now_ms) {
        if (!on_actor_clock) return;
        for (auto& t : trace) t.at_ms = wall_now_ms - (clock_ms - t.at_ms);
        on_actor_clock = false;
    }
};

}  // namespace raftor::introspect
