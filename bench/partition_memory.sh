#!/usr/bin/env bash
# Memory through a partition and its heal, under full write load. A 3-node cluster on
# loopback takes writes from wrk (256 connections, VALUE_BYTES-byte values, default
# 1 KiB) to the leader for the whole run, while:
#   - a follower is stopped (SIGSTOP) for 15 s, then resumed: the leader keeps what it
#     missed and catches it up under load;
#   - then the leader is stopped for 10 s (the others elect a new one), then resumed:
#     it comes back as a follower behind the new leader.
# Each node's RSS is sampled every 250 ms; the table gives its peak (VmHWM), where it
# ended, and what wrk saw. Prints figures; asserts nothing (speed is not a test).
#
#   bench/partition_memory.sh [VALUE_BYTES, default 1024]
set -euo pipefail
cd "$(dirname "$0")/.."
export VALUE_BYTES=${1:-1024}
bin=build/default/raftor
[ -x "$bin" ] || { echo "partition_memory: build first (make build)" >&2; exit 1; }
command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null

. bench/lib.sh
bench_scratch raftor-partition

for i in 1 2 3; do bench_raftor_node "$bin" node 29070 "$i"; done
leader_seen_by() {  # node number -> the leader's node number it reports, or nothing
  curl -s --max-time 1 "http://127.0.0.1:$((29070 + 10 * $1))/health/cluster" |
    sed -n 's/.*"leader":"node-\([0-9]\)".*/\1/p'
}
wait_leader() {  # a node to ask, a node that must not be it (or 0) -> the leader
  for _ in $(seq 1 200); do
    l=$(leader_seen_by "$1" || true)
    [ -n "$l" ] && [ "$l" != "$2" ] && { echo "$l"; return 0; }
    sleep 0.05
  done
  return 1
}
leader=$(wait_leader 1 0) || { echo "no leader elected" >&2; exit 1; }
follower=$((leader % 3 + 1))
other=$(((leader + 1) % 3 + 1))

# RSS samples: "node kB" lines, every 250 ms, until the run ends.
( while :; do
    for i in 1 2 3; do echo "$i $(awk '/VmRSS/ {print $2}' "/proc/${raftor_pid[$i]}/status" 2>/dev/null || echo 0)"; done
    sleep 0.25
  done >"$work/rss" ) &
pids+=($!)

url() { echo "http://127.0.0.1:$((29070 + 10 * $1))"; }
# One wrk per phase, each against the node that leads in it.
phase() {  # name seconds node -> "name ops/s p99 non-2xx"
  local out
  out=$(wrk -t2 -c256 -d"$2s" --latency -s bench/wrk/raftor_put_sized.lua "$(url "$3")" 2>&1)
  printf '%-34s %8s %10s %8s\n' "$1" "$(echo "$out" | awk '/Requests\/sec/ {printf "%.0f", $2}')" \
    "$(echo "$out" | awk '$1 == "99%" {print $2}')" "$(echo "$out" | awk '/Non-2xx/ {print $5}')"
}
printf '%-34s %8s %10s %8s\n' phase "writes/s" "p99" "non-2xx"
phase "all up" 5 "$leader"
kill -STOP "${raftor_pid[$follower]}"
phase "node-$follower stopped (follower)" 15 "$leader"
kill -CONT "${raftor_pid[$follower]}"
phase "node-$follower catching up" 10 "$leader"
kill -STOP "${raftor_pid[$leader]}"
new=$(wait_leader "$other" "$leader") || { echo "no new leader" >&2; exit 1; }
phase "node-$leader stopped (leader)" 10 "$new"
kill -CONT "${raftor_pid[$leader]}"
phase "node-$leader back as a follower" 10 "$new"

echo
printf '%-8s %-34s %9s %9s %20s\n' node role "peak MB" "end MB" "end anon / file MB"
for i in 1 2 3; do
  role=follower
  [ "$i" = "$leader" ] && role="leader, then stopped and behind"
  [ "$i" = "$follower" ] && role="stopped 15 s, then caught up"
  [ "$i" = "$new" ] && role="$role, then leader"
  peak=$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/${raftor_pid[$i]}/status")
  end=$(awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/${raftor_pid[$i]}/status")
  split=$(awk '/RssAnon/ {a = $2} /RssFile/ {f = $2} END {printf "%.1f / %.1f", a / 1024, f / 1024}' "/proc/${raftor_pid[$i]}/status")
  printf 'node-%-3s %-34s %9s %9s %20s\n' "$i" "$role" "$peak" "$end" "$split"
done
max=$(for i in 1 2 3; do awk '/VmHWM/ {print $2}' "/proc/${raftor_pid[$i]}/status"; done | sort -n | tail -1)
awk -v m="$max" 'BEGIN { printf "\nhighest peak %.1f MB: %s (target: under 128 MB)\n", m / 1024, (m < 128 * 1024 ? "met" : "MISSED") }'
