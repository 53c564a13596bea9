#pragma once
// Invariant checks that stay on in every build (TigerBeetle style): a Raft rule
// broken in production must stop the node, not corrupt the cluster.
#include <cstdio>
#include <cstdlib>

namespace raftor {
[[noreturn]] inline void assert_fail(const char* expr, const char* file, int line, const char* why) {
    std::fprintf(stderr, "raftor: invariant violated: %s (%s) at %s:%d\n", why, expr, file, line);
    std::abort();
}
}  // namespace raftor

#define RAFT_ASSERT(cond, why) \
    ((cond) ? (void)0 : ::raftor::assert_fail(#cond, __FILE__, __LINE__, why))
