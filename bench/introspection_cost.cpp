// What an actor's bookkeeping costs per message handled: the clock read, the trace
// ring's record and the rate meter's count that ActorStats::note does in every
// handler (actors/introspection.hpp), timed over many calls. Prints figures.
#include <chrono>
#include <cstdio>

#include "runtime/introspect/message_trace.hpp"

int main() {
    using clock = std::chrono::steady_clock;
    constexpr long n = 20'000'000;
    raftor::introspect::MessageTrace trace;
    raftor::introspect::RateMeter rate;
    std::uint64_t handled = 0;
    const char* types[] = {"tick", "frame", "persisted", "drain"};
    const auto begin = clock::now();
    for (long i = 0; i < n; ++i) {
        const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now().time_since_epoch()).count();
        ++handled;
        trace.record(types[i & 3], now);
        rate.add(now);
    }
    const double ns = std::chrono::duration<double, std::nano>(clock::now() - begin).count() / n;
    std::printf(
        "introspection per message handled: %.1f ns (clock read, trace ring, rate meter; %lu messages, last seq %lu)\n",
        ns, static_cast<unsigned long>(handled), static_cast<unsigned long>(trace.last_seq()));
    return 0;
}
