#!/usr/bin/env bash
# What metrics and introspection cost on the write path: KV writes/s of a 3-node
# cluster built as usual against one built with -DRAFTOR_METRICS=OFF (every live
# counter and actor statistic compiled out), same load (wrk, 64 connections, 64-byte
# values), alternating rounds (and which goes first) so drift hits both alike; writes/s
# and the CPU the nodes spent per write. Also the size of a scrape.
# Prints figures; asserts nothing.
#
#   bench/metrics_cost.sh [seconds per round, default 10] [rounds, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
rounds=${2:-3}
command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
command -v jq >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq >/dev/null
cmake --preset default >/dev/null && cmake --build --preset default --target raftor >/dev/null
cmake --preset nometrics >/dev/null && cmake --build --preset nometrics --target raftor >/dev/null

. bench/lib.sh
bench_scratch raftor-metrics-cost

members="node-1=127.0.0.1:29081,node-2=127.0.0.1:29091,node-3=127.0.0.1:29101"
# Sets leader_port. Not called in $(...): the pids it records must reach stop_cluster.
start_cluster() {
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
    [ -n "$l" ] && { leader_port=$((29070 + 10 * l)); return 0; }
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
  wrk -t2 -c64 -d"${duration}s" -s bench/wrk/raftor_put.lua "http://127.0.0.1:$1" >"$work/wrk.out" 2>&1
  awk '/Requests\/sec/ {print $2}' "$work/wrk.out"
}
cpu_ticks() {  # user + system CPU of the cluster's processes so far, in clock ticks
  local t=0
  for p in "${pids[@]}"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
  echo $t
}

declare -A sum=([on]=0 [off]=0) cpu=([on]=0 [off]=0) done_writes=([on]=0 [off]=0)
hz=$(getconf CLK_TCK)
for r in $(seq 1 "$rounds"); do
  # Which goes first alternates: a round's second run meets a warmer (or busier) machine.
  order="on off"
  [ $((r % 2)) -eq 0 ] && order="off on"
  for tag in $order; do
    bin=build/default/raftor
    [ $tag = off ] && bin=build/nometrics/raftor
    if curl -s --max-time 1 -o /dev/null http://127.0.0.1:29080/health/live; then
      echo "metrics_cost: something already answers on 127.0.0.1:29080 (a cluster left running?)" >&2
      exit 1
    fi
    start_cluster "$bin" "$tag-$r" || { echo "no leader" >&2; exit 1; }
    port=$leader_port
    before=$(cpu_ticks)
    w=$(writes "$port")
    used=$(($(cpu_ticks) - before))
    n=$(awk '/requests in/ {print $1}' "$work/wrk.out")
    if [ $tag = on ] && [ -z "${text:-}" ]; then
      # Messages the leader's actors handled per write, for the per-message cost below.
      handled=$(curl -s "http://127.0.0.1:$port/debug/actors" | jq '[.actors[].messagesHandled] | add')
      proposals=$(curl -s -H 'Accept: text/plain' "http://127.0.0.1:$port/metrics" | awk '$1 == "raft_proposals_total" {print $2}')
      text=$(curl -s -H 'Accept: text/plain' "http://127.0.0.1:$port/metrics" | wc -c)
      series=$(curl -s -H 'Accept: text/plain' "http://127.0.0.1:$port/metrics" | grep -vc '^#')
      json=$(curl -s -H 'Accept: application/json' "http://127.0.0.1:$port/metrics" | wc -c)
      scrape_ms=$(curl -s -o /dev/null -w '%{time_total}' -H 'Accept: text/plain' "http://127.0.0.1:$port/metrics")
    fi
    stop_cluster
    printf 'round %s metrics %-3s %10s writes/s  %6.1f us of CPU per write (3 nodes)\n' "$r" "$tag" "$w" \
      "$(echo "$used * 1000000 / $hz / $n" | bc -l)"
    sum[$tag]=$(echo "${sum[$tag]} + $w" | bc -l)
    cpu[$tag]=$((cpu[$tag] + used))
    done_writes[$tag]=$((done_writes[$tag] + n))
  done
done
on=$(echo "${sum[on]} / $rounds" | bc -l)
off=$(echo "${sum[off]} / $rounds" | bc -l)
printf '\nmean writes/s: metrics on %.0f, compiled out %.0f: cost %.2f%%\n' "$on" "$off" "$(echo "($off - $on) * 100 / $off" | bc -l)"
# CPU per write varies far less between rounds than throughput on a shared machine.
con=$(echo "${cpu[on]} * 1000000 / $hz / ${done_writes[on]}" | bc -l)
coff=$(echo "${cpu[off]} * 1000000 / $hz / ${done_writes[off]}" | bc -l)
printf 'CPU per write, the 3 nodes together: metrics on %.1f us, compiled out %.1f us: cost %.2f%%\n' "$con" "$coff" \
  "$(echo "($con - $coff) * 100 / $coff" | bc -l)"
echo "a scrape of the leader after the load: $text bytes of text ($series series), $json bytes of JSON, served in ${scrape_ms}s"
# The end-to-end rounds differ by more than the cost; the per-message cost bounds it.
cmake --build --preset default --target introspection_cost >/dev/null
per=$(build/default/bench/introspection_cost | tee /dev/stderr | sed -n 's/.*: \([0-9.]*\) ns.*/\1/p')
printf 'the leader handled %s actor messages for %s proposals (%.1f per write): introspection takes %.2f%% of a core at %.0f writes/s\n' \
  "$handled" "$proposals" "$(echo "$handled / $proposals" | bc -l)" \
  "$(echo "$handled / $proposals * $per * $on / 10000000" | bc -l)" "$on"
