# Sourced by the benchmark scripts: a scratch directory ($work) and the processes a
# script starts ($pids), both gone when the script exits, however it exits.
#   bench_scratch NAME
bench_scratch() {
  work=$(mktemp -d "/tmp/$1.XXXXXX")
  pids=()
  trap bench_cleanup EXIT
}
bench_cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
