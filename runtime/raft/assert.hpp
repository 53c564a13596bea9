#pragma once
// Invariant checks that stay on in every build (TigerBeetle style): a Raft rule
// broken in production must stop the node, not corrupt the cluster.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace raftor {

// What happens when an invariant breaks. The default prints and aborts; the
// simulator installs one that throws, to record the failing seed and go on.
using AssertHandler = void (*)(const std::string& message);

inline std::atomic<AssertHandler>& assert_handler() {
    static std::atomic<AssertHandler> h{nullptr};
    return h;
}

[[noreturn]] inline void assert_fail(const char* expr, const char* file, int line, const char* why) {
    const std::string msg =
        std::string("invariant violated: ") + why + " (" + expr + ") at " + file + ":" + std::to_string(line);
    if (AssertHandler h = assert_handler().load()) h(msg);  // may throw
    std::fprintf(stderr, "raftor: %s\n", msg.c_str());
    std::abort();
}

}  // namespace raftor

#define RAFT_ASSERT(cond, why) ((cond) ? (void)0 : ::raftor::assert_fail(#cond, __FILE__, __LINE__, why))
