#!/usr/bin/env bash
# A stranger on another host (a network namespace joined by a veth pair) reaches a
# node that listens on 0.0.0.0 with no token: it gets the probes and the metrics, and
# is refused everything else (protected mode); on the node's own host the same
# requests work. Makes and removes its namespaces itself.
# Usage: stranger.sh RAFTOR_BIN
set -euo pipefail
bin=$1
[ "$(id -u)" -eq 0 ] || { echo "SKIPPED: needs root (network namespaces)"; exit 0; }
command -v ip >/dev/null || { echo "SKIPPED: ip (iproute2) is missing"; exit 0; }
command -v curl >/dev/null || { echo "SKIPPED: curl is missing"; exit 0; }
tag=$$
node_ns=rfsn-$tag stranger_ns=rfss-$tag
work=$(mktemp -d /tmp/raftor-stranger.XXXXXX)
pid=
cleanup() {
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  ip netns del "$node_ns" 2>/dev/null || true
  ip netns del "$stranger_ns" 2>/dev/null || true
  if [ "${failed:-0}" = 1 ]; then echo "kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
ip netns add "$node_ns" || { echo "SKIPPED: cannot make a network namespace"; exit 0; }
ip netns add "$stranger_ns"
ip link add "rfa$tag" type veth peer name "rfb$tag"
ip link set "rfa$tag" netns "$node_ns"
ip link set "rfb$tag" netns "$stranger_ns"
ip -n "$node_ns" addr add 10.214.0.1/24 dev "rfa$tag"
ip -n "$stranger_ns" addr add 10.214.0.2/24 dev "rfb$tag"
for ns in "$node_ns" "$stranger_ns"; do ip -n "$ns" link set lo up; done
ip -n "$node_ns" link set "rfa$tag" up
ip -n "$stranger_ns" link set "rfb$tag" up

cat >"$work/config.json" <<JSON
{ "dataDir": "$work/data", "clusterId": "stranger", "nodeId": "n1",
  "clusterNodes": "n1=127.0.0.1:18481",
  "handlers": { "workDir": "$work/scratch" },
  "listen": { "http": "0.0.0.0:18480", "peer": "127.0.0.1:18481" } }
JSON
ip netns exec "$node_ns" "$bin" node --config "$work/config.json" >"$work/raftor.log" 2>&1 &
pid=$!
in_node() { ip netns exec "$node_ns" "$@"; }
as_stranger() { ip netns exec "$stranger_ns" "$@"; }
for _ in $(seq 1 100); do
  in_node curl -fsS http://127.0.0.1:18480/health/ready >/dev/null 2>&1 && break
  sleep 0.1
done
fail() { echo "FAIL: $*"; failed=1; tail -n 20 "$work/raftor.log"; exit 1; }
code() { "$@" -s -o "$work/body" -w '%{http_code}' || true; }
op='{"id":"pwn","name":"p","handler":{"kind":"exec","argv":["/bin/sh","-c","touch '"$work"'/pwned"]}}'

grep -q '"protected_mode"\|protected_mode' "$work/raftor.log" || fail "no protected_mode line at start"
# The stranger: probes and metrics yes; definitions, executions, data, admin no.
[ "$(code as_stranger curl http://10.214.0.1:18480/health/live)" = 200 ] || fail "the stranger cannot reach /health/live"
[ "$(code as_stranger curl http://10.214.0.1:18480/metrics)" = 200 ] || fail "the stranger cannot scrape /metrics"
c=$(code as_stranger curl -X POST -H 'Content-Type: application/json' -d "$op" http://10.214.0.1:18480/operations)
[ "$c" = 403 ] || fail "the stranger's definition got $c"
grep -q protected_mode "$work/body" || fail "the refusal does not say protected mode: $(cat "$work/body")"
for req in "POST /execute/pwn" "GET /kv/x" "GET /operations" "POST /shutdown" "GET /admin/backup"; do
  c=$(code as_stranger curl -X "${req% *}" "http://10.214.0.1:18480${req#* }")
  [ "$c" = 403 ] || fail "the stranger's $req got $c"
done
# On the node's own host the same definition is taken (and then refused to a browser page elsewhere).
c=$(code in_node curl -X POST -H 'Content-Type: application/json' -d '{"id":"ok","name":"o","handler":{"kind":"noop"}}' http://127.0.0.1:18480/operations)
[ "$c" = 201 ] || [ "$c" = 200 ] || fail "a local definition got $c: $(cat "$work/body")"
c=$(code in_node curl -X POST -H 'Origin: http://evil.example' http://127.0.0.1:18480/execute/ok)
[ "$c" = 403 ] || fail "a cross-origin execute got $c"
c=$(code in_node curl -X POST -d '{"id":"x","name":"x","handler":{"kind":"noop"}}' http://127.0.0.1:18480/operations)
[ "$c" = 415 ] || fail "a form-encoded JSON body got $c"
kill -0 "$pid" || fail "the node died"
[ ! -e "$work/pwned" ] || fail "the stranger's command ran"
echo "stranger: OK"
