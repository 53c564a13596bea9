#!/usr/bin/env bash
# Replay after a restore, end to end on loopback: back up, run work, restore (the work
# after the backup is lost), POST /daemon/replay since before the backup. Then every
# slot of a schedule succeeded exactly once, a failed run in the backup ran again and
# succeeded, a second replay of the same window does nothing, and the receipt chain
# verifies. Usage: tests/backup/replay.sh RAFTOR_BIN. Ports REPLAY_PORT_BASE (18300).
set -euo pipefail
bin=${1:?usage: replay.sh RAFTOR_BIN}
src=$(cd "$(dirname "$0")/../.." && pwd)
base=${REPLAY_PORT_BASE:-18300}
work=$(mktemp -d /tmp/raftor-replay.XXXXXX)
# The clusters are the make run one (scripts/run-cluster), on ports and data of their own.
run_cluster() { RAFTOR_DATA=$work/$1 RAFTOR_PORT_BASE=$base RAFTOR_BIN=$bin "$src/scripts/run-cluster" "${@:2}"; }
http_port() { echo $((base + ($1 - 1) * 10)); }
peer_port() { echo $((base - 1 + 2 * $1)); }
members="node-1=127.0.0.1:$(peer_port 1),node-2=127.0.0.1:$(peer_port 2),node-3=127.0.0.1:$(peer_port 3)"
endpoints="127.0.0.1:$(http_port 1),127.0.0.1:$(http_port 2),127.0.0.1:$(http_port 3)"
url=http://127.0.0.1:$(http_port 1)
failed=
cleanup() {
  for d in before after; do run_cluster $d stop >/dev/null 2>&1 || true; done
  if [ -n "$failed" ]; then echo "replay: logs and data kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
fail() {
  failed=1
  echo "replay FAILED: $*"
  exit 1
}
say() { echo "replay: $*"; }
api() { curl -sf --max-time 30 "$@"; }

start_cluster() {
  run_cluster "$1" --detach >"$work/$1.txt" 2>&1 || fail "starting the cluster: $(cat "$work/$1.txt")"
  for _ in $(seq 1 150); do
    api "$url/health/ready" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  tail -n 5 "$work/$1"/node-*/raftor.log >&2
  fail "the cluster in $work/$1 did not become ready within 30 s"
}
# Waits until nothing is queued, running or retrying.
drain() {
  for _ in $(seq 1 150); do
    [ "$(api "$url/queue" | jq '.executions | length')" = 0 ] && return 0
    sleep 0.2
  done
  fail "executions still active after 30 s: $(api "$url/queue")"
}

start_cluster before
since=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
marker=$work/handler-may-succeed
# tick: every second, a missed slot skipped (so only a replay brings it back).
api -X POST "$url/operations" -H 'Content-Type: application/json' \
  -d '{"id":"tick","name":"tick","handler":{"kind":"noop"},"schedule":"@every 1s","catchUp":"skip"}' >/dev/null ||
  fail "registering tick"
api -X POST "$url/operations" -H 'Content-Type: application/json' \
  -d '{"id":"flaky","name":"flaky","handler":{"kind":"exec","argv":["/bin/test","-e","'"$marker"'"]}}' >/dev/null ||
  fail "registering flaky"
status=$(api -X POST "$url/execute/flaky?wait=true" | jq -r .status)
[ "$status" = failed ] || fail "flaky's first run ended $status, expected failed"
failed_id=$(api "$url/operations/flaky/history" | jq -r '.[0].executionId')
sleep 3
"$bin" ctl --endpoints "$endpoints" backup --out "$work/backup.tar" >"$work/backup.txt" || fail "backup: $(cat "$work/backup.txt")"
say "backup taken; $(api "$url/operations/tick/history?limit=1000" | jq length) tick runs so far"
sleep 4  # slots the restore loses
run_cluster before stop >/dev/null
for i in 1 2 3; do
  "$bin" restore --from "$work/backup.tar" --data-dir "$work/after/node-$i" --node-id "node-$i" \
    --cluster-nodes "$members" >"$work/restore-$i.txt" || fail "restore of node-$i: $(cat "$work/restore-$i.txt")"
done
touch "$marker"
start_cluster after
sleep 2

answer=$(curl -s --max-time 30 -X POST "$url/daemon/replay" -H 'Content-Type: application/json' -d "{\"since\": \"$since\"}")
say "replay since $since: $(jq -c '{replayed, notReplayed}' <<<"$answer")"
replayed=$(jq -e .replayed <<<"$answer") || fail "no replay answer: $answer"
[ "$replayed" -ge 5 ] || fail "replayed $replayed, expected the lost slots (about 5) and flaky's run: $answer"
jq -e --arg f "$failed_id" '[.executions[] | select(.replayOf == $f and .operationId == "flaky")] | length == 1' \
  <<<"$answer" >/dev/null || fail "flaky's failed run $failed_id was not run again: $answer"
jq -e '[.executions[] | .cause] | all(. == "replay")' <<<"$answer" >/dev/null || fail "a cause is not replay: $answer"
drain

# Every tick slot from the first to the latest succeeded exactly once.
history=$(api "$url/operations/tick/history?limit=1000")
jq -e '[.[] | select(.status == "success")] | group_by(.slot) | all(length == 1)' <<<"$history" >/dev/null ||
  fail "a slot succeeded more than once: $(jq -c '[.[] | {slot, status}]' <<<"$history")"
jq -e '[.[] | select(.status == "success") | .slot | sub("\\.[0-9]+Z$"; "Z") | fromdate] | sort
       | . as $s | (($s | last) - ($s | first) + 1) == ($s | length)' <<<"$history" >/dev/null ||
  fail "slots are missing: $(jq -c '[.[] | select(.status == "success") | .slot] | sort' <<<"$history")"
say "tick: $(jq '[.[] | select(.status == "success")] | length' <<<"$history") slots, each succeeded once"
api "$url/operations/flaky/history" | jq -e --arg f "$failed_id" \
  'any(.[]; .replayOf == $f and .status == "success")' >/dev/null || fail "flaky's replay did not succeed"

again=$(curl -s --max-time 30 -X POST "$url/replay?since=$since")
[ "$(jq .replayed <<<"$again")" = 0 ] || fail "a second replay of the same window did something: $again"
"$bin" ctl --endpoints "$endpoints" receipts verify >"$work/verify.txt" || fail "receipts: $(cat "$work/verify.txt")"
say "$(head -c 120 "$work/verify.txt")"
echo "replay PASSED: $replayed replayed, every slot succeeded once, a second replay did nothing, the chain verifies"
