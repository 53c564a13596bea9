#!/usr/bin/env bash
# What metrics and introspection cost on the write path: KV writes/s of a 3-node
# cluster built as usual against one built with -DRAFTOR_METRICS=OFF (every live
# counter and actor statistic compiled out), same load (wrk, 64 connections, 64-byte
# values), alternating rounds so drift hits both alike. Also the size of a scrape.
# Prints figures; asserts nothing.
#
#   bench/metrics_cost.sh [seconds per round, default 10] [rounds, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
rounds=${2:-3}
command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
cmake --preset default >/dev/null && cmake --build --preset default --target raftor >/dev/null
cmake --preset nometrics >/dev/null && cmake --build --preset nometrics --target raftor >/dev/null

work=$(mktemp -d /tmp/raftor-metrics-cost.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

members="node-1=127.0.0.1:29081,node-2=127.0.0.1:29091,node-3=127.0.0.1:29101"
start_cluster() {  # binary -> leader's HTTP port
  local bin=$1 tag=$2
  for i in 1 2 3; do
    local dir=$work/$tag-$i
    mkdir -p "$dir"
    cat >"$dir/config.json" <<JSON
{ "logLevel": "warn", "clusterId": "bench", "dataDir": "$dir",
  "raft": { "heartbeatIntervalMs": 150, "electionTimeoutMs": 1500 },
  "listen": { "http": "127.0.0.1:$((29070 + 10 * i))", "peer": "127.0.0.1:$((29071 + 10 * i))" } }
JSON
    "$bin" node --config "$dir/config.json" --node-id "node-$i" --cluster-nodes "$members" >>"$dir/log" 2>&1 &
    pids+=($!)
  done
  for _ in $(seq 1 200); do
    l=$(curl -s --max-time 1 http://127.0.0.1:29080/health/cluster | sed -n 's/.*"leader":"node-\([0-9]\)".*/\1/p')
    [ -n "$l" ] && { echo $((29070 + 10 * l)); return 0; }
    sleep 0.05
  done
  return 1
}
stop_cluster() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
}
writes() {  # port -> writes/s
  wrk -t2 -c64 -d"${duration}s" -s bench/wrk/raftor_put.lua "http://127.0.0.1:$1" 2>&1 | awk '/Requests\/sec/ {print $2}'
}

declare -A sum=([on]=0 [off]=0)
for r in $(seq 1 "$rounds"); do
  for tag in on off; do
    bin=build/default/raftor
    [ $tag = off ] && bin=build/nometrics/raftor
    port=$(start_cluster "$bin" "$tag-$r") || { echo "no leader" >&2; exit 1; }
    w=$(writes "$port")
    if [ $tag = on ] && [ "$r" = 1 ]; then
      text=$(curl -s "http://127.0.0.1:$port/metrics" | wc -c)
      series=$(curl -s "http://127.0.0.1:$port/metrics" | grep -vc '^#')
      json=$(curl -s -H 'Accept: application/json' "http://127.0.0.1:$port/metrics" | wc -c)
      scrape_ms=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$port/metrics")
    fi
    stop_cluster
    printf 'round %s metrics %-3s %10s writes/s\n' "$r" "$tag" "$w"
    sum[$tag]=$(echo "${sum[$tag]} + $w" | bc -l)
  done
done
on=$(echo "${sum[on]} / $rounds" | bc -l)
off=$(echo "${sum[off]} / $rounds" | bc -l)
printf '\nmean writes/s: metrics on %.0f, compiled out %.0f: cost %.2f%%\n' "$on" "$off" "$(echo "($off - $on) * 100 / $off" | bc -l)"
echo "a scrape of the leader after the load: $text bytes of text ($series series), $json bytes of JSON, served in ${scrape_ms}s"
