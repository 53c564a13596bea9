#!/bin/sh
# Rules the compiler does not check, over the shipped sources:
#  - one assertion mechanism, always on (RAFT_ASSERT, runtime/raft/assert.hpp): no
#    assert(), which a release build compiles out;
#  - actors read the wall clock they are given (actors/wall_clock.hpp), never the
#    system's: node.cpp, which assembles a node, hands out the system's. Two reads
#    remain that only label what operators see (when a trace entry or a flush
#    happened), in introspection.hpp and storage.cpp.
# Usage: source_rules.sh SOURCE_DIR
set -eu
cd "$1"
found=$(grep -rnE '(^|[^_[:alnum:]])assert[[:space:]]*\(|#include <cassert>|#include <assert\.h>' \
  --include='*.cpp' --include='*.hpp' --include='*.h' runtime actors sim config || true)
if [ -n "$found" ]; then
  echo "assert() compiles out of release builds; use RAFT_ASSERT (runtime/raft/assert.hpp):"
  echo "$found"
  exit 1
fi
clock=$(grep -rn 'system_clock::now\|wall_ms()' actors --include='*.cpp' --include='*.hpp' |
  grep -v '^actors/wall_clock.hpp:\|^actors/node.cpp:\|^actors/introspection.hpp:\|^actors/storage.cpp:' || true)
if [ -n "$clock" ]; then
  echo "an actor reads the system's wall clock; take a WallClock (actors/wall_clock.hpp) in its setup:"
  echo "$clock"
  exit 1
fi
echo "source rules: OK"
