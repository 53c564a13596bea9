#pragma once
// Cap'n Proto 0.9 (Debian 12) under clang in C++20: capnp/blob.h compares a
// `const char*` with a kj::StringPtr, and kj/string.h declares that comparison only
// before C++20 (it counts on rewritten candidates, which clang does not find here).
// Declared here for the fuzz build (force-included); gcc does not need it.
#include <kj/string.h>

#if __cpp_impl_three_way_comparison
namespace kj {
inline bool operator==(const char* a, const StringPtr& b) {
    return b == StringPtr(a);
}
inline bool operator!=(const char* a, const StringPtr& b) {
    return !(b == StringPtr(a));
}
}  // namespace kj
#endif
