#!/usr/bin/env bash
# dr-drill.sh: the monthly disaster-recovery drill, on loopback.
#
#   1. start a 3-node cluster and load it: operations, executions (with receipts), keys
#   2. back it up:             raftor ctl backup --out backup.tar
#   3. destroy every node:     SIGKILL, then delete every data dir
#   4. restore a new cluster:  raftor restore --from backup.tar ... (each node)
#   5. verify: operation and execution counts against the manifest, every key, the
#      receipt chain (raftor ctl receipts verify, and its head against the manifest),
#      and that the restored cluster takes new work.
#
# Exits 0 and prints "DR drill PASSED" only if nothing was lost; else "DR drill FAILED:
# <what>" and 1. Environment: RAFTOR_BIN (default build/default/raftor), DRILL_DIR
# (default a new temporary directory, removed afterwards unless DRILL_KEEP=1),
# DRILL_PORT_BASE (default 18080: HTTP on base, base+10, base+20; peers on base+1...),
# DRILL_OPERATIONS (20), DRILL_RUNS (5 executions each), DRILL_KEYS (200).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
bin=${RAFTOR_BIN:-$here/../build/default/raftor}
base=${DRILL_PORT_BASE:-18080}
operations=${DRILL_OPERATIONS:-20}
runs=${DRILL_RUNS:-5}
keys=${DRILL_KEYS:-200}
work=${DRILL_DIR:-$(mktemp -d /tmp/raftor-dr-drill.XXXXXX)}
mkdir -p "$work"

for tool in curl jq; do
  command -v $tool >/dev/null || { echo "DR drill FAILED: $tool is not installed" >&2; exit 1; }
done
[ -x "$bin" ] || { echo "DR drill FAILED: no raftor binary at $bin (build first, or set RAFTOR_BIN)" >&2; exit 1; }

http_port() { echo $((base + ($1 - 1) * 10)); }
peer_port() { echo $((base + ($1 - 1) * 10 + 1)); }
members="node-1=127.0.0.1:$(peer_port 1),node-2=127.0.0.1:$(peer_port 2),node-3=127.0.0.1:$(peer_port 3)"
endpoints="127.0.0.1:$(http_port 1),127.0.0.1:$(http_port 2),127.0.0.1:$(http_port 3)"
pids=()

stop_nodes() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
cleanup() {
  stop_nodes
  if [ "${DRILL_KEEP:-0}" = 1 ] || [ -n "${failed:-}" ]; then
    echo "dr-drill: logs and data kept in $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
fail() {
  failed=1
  echo "DR drill FAILED: $*"
  exit 1
}
say() { echo "dr-drill: $*"; }

# Starts the 3 nodes on the data dirs under $1 and waits until they agree on a leader.
start_cluster() {
  local dir=$1
  for i in 1 2 3; do
    mkdir -p "$dir/node-$i"
    cat >"$dir/node-$i.json" <<JSON
{ "clusterId": "dr-drill", "dataDir": "$dir/node-$i", "logLevel": "info",
  "raft": { "heartbeatIntervalMs": 100, "electionTimeoutMs": 1000 },
  "listen": { "http": "127.0.0.1:$(http_port $i)", "peer": "127.0.0.1:$(peer_port $i)" } }
JSON
    "$bin" node --config "$dir/node-$i.json" --node-id "node-$i" --cluster-nodes "$members" \
      >>"$dir/node-$i.log" 2>&1 &
    pids+=($!)
  done
  for _ in $(seq 1 150); do
    local seen="" agreed=1
    for i in 1 2 3; do
      l=$(curl -sf "http://127.0.0.1:$(http_port $i)/health/cluster" | jq -r '.leader // empty' 2>/dev/null || true)
      [ -n "$l" ] || agreed=0
      [ -z "$seen" ] && seen=$l
      [ "$l" = "$seen" ] || agreed=0
    done
    [ $agreed = 1 ] && { say "cluster up in $dir, leader $seen"; return 0; }
    sleep 0.2
  done
  tail -n 5 "$dir"/node-*.log >&2
  fail "the cluster in $dir did not elect a leader within 30 s"
}

api() { curl -sf --max-time 30 "$@"; }
leader_url() { echo "http://127.0.0.1:$(http_port 1)"; }  # followers forward writes

# ---- 1. a loaded cluster
start_cluster "$work/before"
url=$(leader_url)
say "loading: $operations operations x $runs executions, $keys keys"
for o in $(seq 1 "$operations"); do
  if [ $((o % 2)) = 0 ]; then handler='{"kind":"noop"}'; else handler='{"kind":"exec","argv":["/bin/echo","drill"]}'; fi
  api -X POST "$url/operations" -H 'Content-Type: application/json' \
    -d "{\"id\":\"drill-$o\",\"name\":\"drill $o\",\"handler\":$handler}" >/dev/null || fail "registering drill-$o"
  for r in $(seq 1 "$runs"); do
    status=$(api -X POST "$url/execute/drill-$o?wait=true" | jq -r .status) || fail "executing drill-$o"
    [ "$status" = success ] || fail "drill-$o run $r ended $status"
  done
done
for k in $(seq 1 "$keys"); do
  api -X PUT "$url/kv/drill-key-$k" --data-binary "value-$k" >/dev/null || fail "writing drill-key-$k"
done
expected_ops=$(api "$url/operations?limit=10000" | jq length)
expected_total=$(api "$url/metrics?format=json" | jq .totalOperations)
"$bin" ctl --endpoints "$endpoints" receipts verify >"$work/verify-before.txt" || fail "the chain did not verify before the backup: $(cat "$work/verify-before.txt")"
say "before: $expected_ops operations, $expected_total finished executions; $(head -c 120 "$work/verify-before.txt")"

# ---- 2. backup
"$bin" ctl --endpoints "$endpoints" backup --out "$work/backup.tar" >"$work/backup.txt" || fail "backup: $(cat "$work/backup.txt")"
manifest=$(tar -xOf "$work/backup.tar" manifest.json)
m_ops=$(echo "$manifest" | jq .operationCount)
m_total=$(echo "$manifest" | jq .totalOperations)
m_keys=$(echo "$manifest" | jq .kvKeys)
m_head=$(echo "$manifest" | jq -r .receiptChainHead)
m_receipts=$(echo "$manifest" | jq .receiptCount)
say "backup: index $(echo "$manifest" | jq .snapshotIndex), $m_ops operations, $m_total executions, $m_receipts receipts, $m_keys keys"
[ "$m_ops" = "$expected_ops" ] || fail "the manifest says $m_ops operations, the cluster had $expected_ops"
[ "$m_total" = "$expected_total" ] || fail "the manifest says $m_total executions, the cluster had $expected_total"
[ "$m_keys" = "$keys" ] || fail "the manifest says $m_keys keys, $keys were written"

# ---- 3. destroy
stop_nodes
rm -rf "$work/before"
say "destroyed every node and its data"

# ---- 4. restore
for i in 1 2 3; do
  "$bin" restore --from "$work/backup.tar" --data-dir "$work/after/node-$i" --node-id "node-$i" \
    --cluster-nodes "$members" >"$work/restore-$i.txt" || fail "restore of node-$i: $(cat "$work/restore-$i.txt")"
done
start_cluster "$work/after"
url=$(leader_url)

# ---- 5. verify
actual_ops=$(api "$url/operations?limit=10000" | jq length)
actual_total=$(api "$url/metrics?format=json" | jq .totalOperations)
[ "$actual_ops" = "$m_ops" ] || fail "expected $m_ops operations, got $actual_ops"
[ "$actual_total" = "$m_total" ] || fail "expected $m_total finished executions, got $actual_total"
for k in $(seq 1 "$keys"); do
  v=$(api "$url/kv/drill-key-$k" | jq -r .value) || fail "drill-key-$k is missing"
  [ "$v" = "value-$k" ] || fail "drill-key-$k is '$v', expected 'value-$k'"
done
"$bin" ctl --endpoints "$endpoints" receipts verify >"$work/verify-after.txt" || fail "receipts: $(cat "$work/verify-after.txt")"
grep -q "$m_receipts receipts" "$work/verify-after.txt" && grep -q "head $m_head" "$work/verify-after.txt" ||
  fail "the restored chain is not the backup's: $(cat "$work/verify-after.txt"), manifest head $m_head of $m_receipts"
# New work: an execution on the restored cluster extends the same chain.
status=$(api -X POST "$url/execute/drill-1?wait=true" | jq -r .status) || fail "executing on the restored cluster"
[ "$status" = success ] || fail "an execution on the restored cluster ended $status"
for _ in $(seq 1 50); do
  "$bin" ctl --endpoints "$endpoints" receipts verify >"$work/verify-new.txt" && grep -q "$((m_receipts + 1)) receipts" "$work/verify-new.txt" && break
  sleep 0.2
done
grep -q "^OK: .* $((m_receipts + 1)) receipts" "$work/verify-new.txt" || fail "after new work: $(cat "$work/verify-new.txt")"
say "after: $actual_ops operations, $actual_total executions, $keys keys, $(head -c 120 "$work/verify-after.txt")"
echo "DR drill PASSED: $actual_ops operations, $actual_total executions, $keys keys and $m_receipts receipts restored; the chain verifies and grows"
