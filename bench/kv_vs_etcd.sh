#!/usr/bin/env bash
# Writes/s and latency of a 3-node raftor cluster against a 3-member etcd 3.4 cluster,
# both on this machine's loopback, both fsyncing, with the same load generator (wrk)
# and 64-byte values, at 1, 16, 64 and 256 connections. Also: RSS of an idle raftor
# node, and the time from killing the raftor leader to the first write the new leader
# accepts. Prints figures; asserts nothing (speed is not a test).
#
#   bench/kv_vs_etcd.sh [seconds per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
bin=build/default/raftor
[ -x "$bin" ] || { echo "kv_vs_etcd: build first (make build)" >&2; exit 1; }
if ! command -v wrk >/dev/null || ! command -v etcd >/dev/null; then
  echo "kv_vs_etcd: installing wrk and etcd-server (Debian packages)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk etcd-server >/dev/null
fi

. bench/lib.sh
bench_scratch raftor-bench

# ---- raftor: 3 nodes, HTTP 28080/28090/28100, peers 28081/28091/28101
members="node-1=127.0.0.1:28081,node-2=127.0.0.1:28091,node-3=127.0.0.1:28101"
declare -A raftor_pid
start_raftor() {
  local i=$1 dir=$work/raftor-$1
  mkdir -p "$dir"
  cat >"$dir/config.json" <<JSON
{ "logLevel": "warn", "clusterId": "bench", "dataDir": "$dir",
  "raft": { "heartbeatIntervalMs": 150, "electionTimeoutMs": 1500 },
  "listen": { "http": "127.0.0.1:$((28070 + 10 * i))", "peer": "127.0.0.1:$((28071 + 10 * i))" } }
JSON
  "$bin" node --config "$dir/config.json" --node-id "node-$i" --cluster-nodes "$members" >>"$dir/log" 2>&1 &
  raftor_pid[$i]=$!
  pids+=($!)
}
for i in 1 2 3; do start_raftor "$i"; done

raftor_leader() {  # prints the leader's node number once all agree
  for _ in $(seq 1 200); do
    l=$(curl -s --max-time 1 http://127.0.0.1:28080/health/cluster | sed -n 's/.*"leader":"node-\([0-9]\)".*/\1/p')
    [ -n "$l" ] && { echo "$l"; return 0; }
    sleep 0.05
  done
  return 1
}
leader=$(raftor_leader) || { echo "raftor elected no leader" >&2; exit 1; }

rss_of() {  # "VmRSS (anonymous + file-backed, i.e. LMDB's mapped pages)" of a pid, in MB
  awk '/VmRSS/ {t=$2} /RssAnon/ {a=$2} /RssFile/ {f=$2} END {printf "%.1f MB (anon %.1f, file %.1f)", t/1024, a/1024, f/1024}' "/proc/$1/status"
}
sleep 2
idle_rss=$(rss_of "${raftor_pid[$((leader % 3 + 1))]}")

# ---- etcd: 3 members, clients 23791-23793, peers 23801-23803
cluster="e1=http://127.0.0.1:23801,e2=http://127.0.0.1:23802,e3=http://127.0.0.1:23803"
for i in 1 2 3; do
  etcd --name "e$i" --data-dir "$work/etcd-$i" \
    --listen-client-urls "http://127.0.0.1:2379$i" --advertise-client-urls "http://127.0.0.1:2379$i" \
    --listen-peer-urls "http://127.0.0.1:2380$i" --initial-advertise-peer-urls "http://127.0.0.1:2380$i" \
    --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token bench \
    --log-level error >"$work/etcd-$i.log" 2>&1 &
  pids+=($!)
done
etcd_leader=""
for _ in $(seq 1 200); do
  for i in 1 2 3; do
    s=$(curl -s --max-time 1 -X POST -d '{}' "http://127.0.0.1:2379$i/v3/maintenance/status" || true)
    id=$(echo "$s" | sed -n 's/.*"member_id":"\([0-9]*\)".*/\1/p')
    ld=$(echo "$s" | sed -n 's/.*"leader":"\([0-9]*\)".*/\1/p')
    [ -n "$id" ] && [ "$id" = "$ld" ] && etcd_leader=$i
  done
  [ -n "$etcd_leader" ] && break
  sleep 0.1
done
[ -n "$etcd_leader" ] || { echo "etcd elected no leader" >&2; exit 1; }

# ---- load: the same wrk, each system's leader, 64-byte values
run() {  # system url script connections -> "writes/s p50 p99 errors"
  local url=$1 script=$2 c=$3 threads=2
  [ "$c" -lt 2 ] && threads=1
  out=$(wrk -t"$threads" -c"$c" -d"${duration}s" --latency -s "$script" "$url" 2>&1)
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  errors=$(echo "$out" | awk '/Non-2xx/ {print $5}')
  echo "$rps $p50 $p99 ${errors:-0}"
}

printf '\n%-6s %-6s %12s %10s %10s %8s\n' system conns "writes/s" p50 p99 non-2xx
for c in 1 16 64 256; do
  read -r rps p50 p99 err < <(run "http://127.0.0.1:$((28070 + 10 * leader))" bench/wrk/raftor_put.lua "$c")
  printf '%-6s %-6s %12s %10s %10s %8s\n' raftor "$c" "$rps" "$p50" "$p99" "$err"
  read -r rps p50 p99 err < <(run "http://127.0.0.1:2379$etcd_leader" bench/wrk/etcd_put.lua "$c")
  printf '%-6s %-6s %12s %10s %10s %8s\n' etcd "$c" "$rps" "$p50" "$p99" "$err"
done

# ---- RSS of an idle raftor follower: fresh, and after the load has drained
sleep 2
follower=$((leader % 3 + 1))
echo
echo "idle raftor follower RSS, fresh: $idle_rss"
echo "idle raftor follower RSS, after the load: $(rss_of "${raftor_pid[$follower]}")"

# ---- leader kill to the first accepted write
kill -9 "${raftor_pid[$leader]}"
t0=$(date +%s%N)
wait "${raftor_pid[$leader]}" 2>/dev/null || true  # reap it quietly (bash would print "Killed")
survivor=$follower
while :; do
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 -X PUT --data-binary x \
    "http://127.0.0.1:$((28070 + 10 * survivor))/kv/after-kill" || true)
  [ "$code" = 200 ] && break
  [ $(( ($(date +%s%N) - t0) / 1000000 )) -gt 30000 ] && { echo "no write accepted within 30 s" >&2; exit 1; }
  sleep 0.005
done
echo "leader kill to first accepted write: $(( ($(date +%s%N) - t0) / 1000000 )) ms (electionTimeoutMs 1500)"
