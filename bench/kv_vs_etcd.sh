#!/usr/bin/env bash
# Writes and linearizable reads of a 3-node raftor cluster against a 3-member etcd 3.4
# cluster, both on this machine's loopback, both fsyncing, with the same load generator
# (wrk) at 1, 16, 64 and 256 connections: 64-byte values written, one key read. One
# table of ops/s, p50, p99 and CPU per operation (the three nodes' user + system time
# over the requests wrk completed), then the targets against it. Also: RSS of an idle
# raftor node, and the time from killing the raftor leader to the first write the new
# leader accepts. Prints figures; asserts nothing (speed is not a test).
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
for i in 1 2 3; do bench_raftor_node "$bin" raftor 28070 "$i"; done

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
declare -A etcd_pid
cluster="e1=http://127.0.0.1:23801,e2=http://127.0.0.1:23802,e3=http://127.0.0.1:23803"
for i in 1 2 3; do
  etcd --name "e$i" --data-dir "$work/etcd-$i" \
    --listen-client-urls "http://127.0.0.1:2379$i" --advertise-client-urls "http://127.0.0.1:2379$i" \
    --listen-peer-urls "http://127.0.0.1:2380$i" --initial-advertise-peer-urls "http://127.0.0.1:2380$i" \
    --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token bench \
    --log-level error >"$work/etcd-$i.log" 2>&1 &
  pids+=($!)
  etcd_pid[$i]=$!
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
cpu_ticks() {  # user + system clock ticks of the given pids together
  local t=0 p
  for p in "$@"; do
    # Fields after the command name (which may hold spaces): utime is the 12th, stime the 13th.
    read -r ut st < <(sed 's/^.*) //' "/proc/$p/stat" | awk '{print $12, $13}')
    t=$((t + ut + st))
  done
  echo "$t"
}
hz=$(getconf CLK_TCK)
run() {  # url script connections pids... -> "ops/s p50 p99 non-2xx cpu-us-per-op"
  local url=$1 script=$2 c=$3 threads=2
  shift 3
  [ "$c" -lt 2 ] && threads=1
  local before after out
  before=$(cpu_ticks "$@")
  out=$(wrk -t"$threads" -c"$c" -d"${duration}s" --latency -s "$script" "$url" 2>&1)
  after=$(cpu_ticks "$@")
  local n rps p50 p99 errors
  n=$(echo "$out" | awk '/requests in/ {print $1}')
  rps=$(echo "$out" | awk '/Requests\/sec/ {printf "%.0f", $2}')
  p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  errors=$(echo "$out" | awk '/Non-2xx/ {print $5}')
  cpu=$(awk -v t=$((after - before)) -v hz="$hz" -v n="${n:-0}" 'BEGIN {printf "%.1f", (n > 0 ? t / hz * 1e6 / n : 0)}')
  echo "$rps $p50 $p99 ${errors:-0} $cpu"
}
to_ms() {  # wrk's "637.00us" / "2.30ms" / "1.02s" -> milliseconds
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}

raftor_url="http://127.0.0.1:$((28070 + 10 * leader))"
etcd_url="http://127.0.0.1:2379$etcd_leader"
curl -s -o /dev/null -X PUT --data-binary "$(printf 'v%.0s' $(seq 64))" "$raftor_url/kv/bench-read"
curl -s -o /dev/null -X POST -d '{"key":"YmVuY2gtcmVhZA==","value":"dg=="}' "$etcd_url/v3/kv/put"
declare -A fig  # fig[system,load,conns] = "ops p50 p99 err cpu"
printf '\n%-6s %-6s %-6s %10s %10s %10s %13s %8s\n' system load conns "ops/s" "p50 ms" "p99 ms" "cpu us/op" non-2xx
for load in write read; do
  for c in 1 16 64 256; do
    for system in raftor etcd; do
      if [ "$system" = raftor ]; then url=$raftor_url procs=("${raftor_pid[@]}"); else url=$etcd_url procs=("${etcd_pid[@]}"); fi
      script=bench/wrk/${system}_put.lua
      [ "$load" = read ] && script=bench/wrk/${system}_get.lua
      read -r rps p50 p99 err cpu < <(run "$url" "$script" "$c" "${procs[@]}")
      p50=$(to_ms "$p50") p99=$(to_ms "$p99")
      fig[$system,$load,$c]="$rps $p50 $p99 $err $cpu"
      printf '%-6s %-6s %-6s %10s %10s %10s %13s %8s\n' "$system" "$load" "$c" "$rps" "$p50" "$p99" "$cpu" "$err"
    done
  done
done

# ---- the targets, from the figures above
target() {  # description, awk condition over a b c d (numbers), the figures shown
  local what=$1 cond=$2 shown=$3
  shift 3
  if awk -v a="${1:-0}" -v b="${2:-0}" -v c="${3:-0}" -v d="${4:-0}" "BEGIN { exit !($cond) }"; then ok=met; else ok=MISSED; fi
  printf '  %-58s %-32s %s\n' "$what" "$shown" "$ok"
}
read -r rw256 rw256p50 rw256p99 _ rw256cpu <<<"${fig[raftor,write,256]}"
read -r ew256 _ ew256p99 _ _ <<<"${fig[etcd,write,256]}"
read -r rw1 rw1p50 _ _ _ <<<"${fig[raftor,write,1]}"
read -r rr256 _ rr256p99 _ _ <<<"${fig[raftor,read,256]}"
read -r er256 _ _ _ _ <<<"${fig[etcd,read,256]}"
echo
echo "targets:"
target "writes, 256 conns: p99 <= 20 ms and <= half of etcd's" "a <= 20 && a <= b / 2" "p99 $rw256p99 ms, etcd $ew256p99 ms" "$rw256p99" "$ew256p99"
target "writes, 256 conns: >= 4x etcd's writes/s" "a >= 4 * b" "$rw256/s vs $ew256/s ($(awk -v a="$rw256" -v b="$ew256" 'BEGIN {printf "%.1fx", (b > 0 ? a / b : 0)}'))" "$rw256" "$ew256"
target "writes, 1 conn: >= 2,000/s with p50 <= 0.5 ms" "a >= 2000 && b <= 0.5" "$rw1/s, p50 $rw1p50 ms" "$rw1" "$rw1p50"
target "CPU per write, three nodes together (256 conns): <= 40 us" "a <= 40" "$rw256cpu us" "$rw256cpu"
target "linearizable reads, 256 conns: >= 4x etcd's, p99 <= 10 ms" "a >= 4 * b && c <= 10" "$rr256/s vs $er256/s, p99 $rr256p99 ms" "$rr256" "$er256" "$rr256p99"

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
