#!/usr/bin/env bash
# What peer authentication costs the write path: the same 3-node raftor cluster on
# loopback, once with peers proving nothing (allowed on loopback only) and once with a
# cluster secret (a challenge-response per connection, an HMAC tag per frame), under
# the same wrk load (64-byte PUTs to the leader) at 1 and 256 connections. Then the
# handshake and tag figures (bench/peer_handshake). Prints figures; asserts nothing.
#
#   bench/peer_auth_cost.sh [seconds per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
bin=build/default/raftor
[ -x "$bin" ] || { echo "peer_auth_cost: build first (make build)" >&2; exit 1; }
command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null

. bench/lib.sh
bench_scratch raftor-auth-bench
openssl rand -hex 32 >"$work/cluster.secret"
chmod 600 "$work/cluster.secret"
members="node-1=127.0.0.1:29081,node-2=127.0.0.1:29091,node-3=127.0.0.1:29101"

start_cluster() {  # mode: none | secret
  local mode=$1
  pids=()
  for i in 1 2 3; do
    local dir=$work/$mode-$i
    mkdir -p "$dir"
    local peer_json=""
    [ "$mode" = secret ] && peer_json="\"peer\": { \"secretFile\": \"$work/cluster.secret\" },"
    cat >"$dir/config.json" <<JSON
{ "logLevel": "warn", "clusterId": "bench", "dataDir": "$dir", $peer_json
  "raft": { "heartbeatIntervalMs": 150, "electionTimeoutMs": 1500 },
  "listen": { "http": "127.0.0.1:$((29070 + 10 * i))", "peer": "127.0.0.1:$((29071 + 10 * i))" } }
JSON
    "$bin" node --config "$dir/config.json" --node-id "node-$i" --cluster-nodes "$members" >>"$dir/log" 2>&1 &
    pids+=($!)
  done
  for _ in $(seq 1 200); do
    l=$(curl -s --max-time 1 http://127.0.0.1:29080/health/cluster | sed -n 's/.*"leader":"node-\([0-9]\)".*/\1/p')
    [ -n "$l" ] && { leader=$l; return 0; }
    sleep 0.05
  done
  echo "no leader ($mode)" >&2
  exit 1
}
stop_cluster() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
}

run() {  # url connections -> "writes/s p50 p99 non-2xx"
  local c=$2 threads=2
  [ "$c" -lt 2 ] && threads=1
  out=$(wrk -t"$threads" -c"$c" -d"${duration}s" --latency -s bench/wrk/raftor_put.lua "$1" 2>&1)
  echo "$(echo "$out" | awk '/Requests\/sec/ {print $2}') $(echo "$out" | awk '$1 == "50%" {print $2}')" \
    "$(echo "$out" | awk '$1 == "99%" {print $2}') $(echo "$out" | awk '/Non-2xx/ {print $5}')"
}

printf '%-16s %-6s %12s %10s %10s %8s\n' "peer auth" conns "writes/s" p50 p99 non-2xx
for mode in none secret; do
  start_cluster "$mode"
  sleep 1
  for c in 1 256; do
    read -r rps p50 p99 err < <(run "http://127.0.0.1:$((29070 + 10 * leader))" "$c")
    printf '%-16s %-6s %12s %10s %10s %8s\n' "$([ "$mode" = secret ] && echo "cluster secret" || echo none)" \
      "$c" "$rps" "$p50" "$p99" "${err:-0}"
  done
  stop_cluster
done
echo
build/default/bench/peer_handshake
