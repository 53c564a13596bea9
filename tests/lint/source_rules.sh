#!/bin/sh
# Rules the compiler does not check, over the shipped sources:
#  - one assertion mechanism, always on (RAFT_ASSERT, runtime/raft/assert.hpp): no
#    assert(), which a release build compiles out;
#  - actors read only the clocks the environment gives them: the wall clock they are
#    handed (actors/wall_clock.hpp) and the actor clock (self->clock(): the node's
#    monotonic clock, or the simulator's time). Only node.cpp, which builds a real
#    node's environment, and wall_clock.hpp, which wraps the system's wall clock for
#    it, read the system's clocks;
#  - an actor's waits are named, with units, in actors/timeouts.hpp: no literal
#    durations in the other files of actors/;
#  - every actor of a node is a caf::typed_actor: no dynamically typed behavior
#    (caf::behavior, caf::stateful_actor<State>) in actors/.
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
clock=$(grep -rn 'system_clock::now\|steady_clock::now\|high_resolution_clock::now\|wall_ms()\|time(nullptr)\|gettimeofday\|clock_gettime' \
  actors --include='*.cpp' --include='*.hpp' |
  grep -v '^actors/wall_clock.hpp:\|^actors/node.cpp:' || true)
if [ -n "$clock" ]; then
  echo "an actor reads a clock of the system; take a WallClock (actors/wall_clock.hpp) or use the actor clock:"
  echo "$clock"
  exit 1
fi
# Over the code only: string literals (a CLI's help text) are blanked first.
waits=$(for f in $(find actors -name '*.cpp' -o -name '*.hpp' | grep -v '^actors/timeouts.hpp$' | sort); do
  sed -e 's/"\([^"\\]\|\\.\)*"/""/g' "$f" |
    grep -nE 'std::chrono::(nanoseconds|microseconds|milliseconds|seconds|minutes|hours)\([1-9]|[^_[:alnum:].][0-9]+(ns|us|ms|s|min|h)[^_[:alnum:]]' |
    sed "s|^|$f:|"
done)
if [ -n "$waits" ]; then
  echo "an actor waits a literal duration; name it, with its unit, in actors/timeouts.hpp:"
  echo "$waits"
  exit 1
fi
untyped=$(grep -rnE 'caf::behavior[^_[:alnum:]]|caf::stateful_actor<' actors --include='*.cpp' --include='*.hpp' || true)
if [ -n "$untyped" ]; then
  echo "an actor is dynamically typed; give it a caf::typed_actor protocol (actors/README.md):"
  echo "$untyped"
  exit 1
fi
echo "source rules: OK"
