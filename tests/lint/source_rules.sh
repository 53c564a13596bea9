#!/bin/sh
# Rules the compiler does not check, over the shipped sources:
#  - one assertion mechanism, always on (RAFT_ASSERT, runtime/raft/assert.hpp): no
#    assert(), which a release build compiles out.
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
echo "source rules: OK"
