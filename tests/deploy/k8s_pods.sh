#!/usr/bin/env bash
# The StatefulSet's pods as Kubernetes starts them with podManagementPolicy: Parallel:
# raftor-0, raftor-1 and raftor-2 at once, each in its own network namespace (its own
# 8080/8081 on its own address), with the manifest's start script, the ConfigMap's
# config and env, the Secret's token and cluster secret, and the pod DNS names of the
# headless service resolved through the namespace's hosts file. The cluster must form
# (every pod ready, as the readinessProbe asks), take a write on one pod that another
# reads, and form again after every pod was deleted at once. Makes and removes its
# namespaces itself. Usage: k8s_pods.sh SOURCE_DIR RAFTOR_BIN
set -euo pipefail
src=$1 bin=$2
k8s=$src/deploy/kubernetes
[ "$(id -u)" -eq 0 ] || { echo "SKIPPED: needs root (network namespaces)"; exit 0; }
for c in ip curl jq; do command -v $c >/dev/null || { echo "SKIPPED: $c is missing"; exit 0; }; done
tag=$$
net=rfkn-$tag
work=$(mktemp -d /tmp/raftor-k8s-pods.XXXXXX)
pids=()
pod_ns() { echo "rfk$1-$tag"; }
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for i in 0 1 2; do ip netns del "$(pod_ns $i)" 2>/dev/null || true; rm -rf "/etc/netns/$(pod_ns $i)"; done
  ip netns del "$net" 2>/dev/null || true
  if [ "${failed:-0}" = 1 ]; then echo "kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  failed=1
  for i in 0 1 2; do echo "--- raftor-$i"; tail -n 15 "$work/raftor-$i/log" 2>/dev/null || true; done
  exit 1
}

# A pod network: a bridge in a namespace of its own, a veth to each pod.
ip netns add "$net" || { echo "SKIPPED: cannot make a network namespace"; exit 0; }
ip -n "$net" link add br0 type bridge
ip -n "$net" link set br0 up
hosts="127.0.0.1 localhost"
for i in 0 1 2; do
  ns=$(pod_ns $i)
  ip netns add "$ns"
  ip link add "rfkp$i$tag" type veth peer name "rfkb$i$tag"
  ip link set "rfkp$i$tag" netns "$ns"
  ip link set "rfkb$i$tag" netns "$net"
  ip -n "$net" link set "rfkb$i$tag" master br0 up
  ip -n "$ns" addr add "10.215.0.$((i + 1))/24" dev "rfkp$i$tag"
  ip -n "$ns" link set lo up
  ip -n "$ns" link set "rfkp$i$tag" up
  hosts="$hosts
10.215.0.$((i + 1)) raftor-$i.raftor-peers.raftor.svc.cluster.local raftor-$i"
done
# `ip netns exec` mounts /etc/netns/NAME/hosts over /etc/hosts: the cluster DNS of the pods.
for i in 0 1 2; do mkdir -p "/etc/netns/$(pod_ns $i)" && echo "$hosts" >"/etc/netns/$(pod_ns $i)/hosts"; done

# What the manifests give a pod. The one change: the data volume (/data) is a directory here.
configmap_value() { sed -n "s/^  $1: \(.*\)$/\1/p" "$k8s/configmap.yaml"; }
cluster_id=$(configmap_value CLUSTER_ID)
cluster_nodes=$(sed -n 's/^    \(raftor-0=.*\)$/\1/p' "$k8s/configmap.yaml")
log_level=$(configmap_value LOG_LEVEL)
[ -n "$cluster_id" ] && [ -n "$cluster_nodes" ] && [ -n "$log_level" ] || fail "configmap.yaml: CLUSTER_ID, CLUSTER_NODES or LOG_LEVEL not found"
token=$(openssl rand -hex 32) secret=$(openssl rand -hex 32)
script=$(sed -n '/^            - |$/,/^          env:$/p' "$k8s/statefulset.yaml" | sed '1d;$d' | sed 's/^              //')
echo "$script" | grep -q '^exec /usr/local/bin/raftor node --config /etc/raftor/daemon-config.json$' ||
  fail "the StatefulSet's start script no longer ends in the exec this test knows: $script"
for i in 0 1 2; do
  mkdir -p "$work/raftor-$i/data"
  sed -n '/^  daemon-config.json: |$/,$p' "$k8s/configmap.yaml" | sed '1d' | sed 's/^    //' |
    sed "s#\"dataDir\": \"/data\"#\"dataDir\": \"$work/raftor-$i/data\"#" >"$work/raftor-$i/daemon-config.json"
  jq -e . "$work/raftor-$i/daemon-config.json" >/dev/null || fail "daemon-config.json of the ConfigMap is not JSON"
done

start_pod() {
  local i=$1
  local s=${script//\/usr\/local\/bin\/raftor/$bin}
  s=${s//\/etc\/raftor\/daemon-config.json/$work/raftor-$i/daemon-config.json}
  ip netns exec "$(pod_ns $i)" env POD_NAME="raftor-$i" POD_NAMESPACE=raftor NODE_ID="raftor-$i" \
    CLUSTER_ID="$cluster_id" CLUSTER_NODES="$cluster_nodes" LOG_LEVEL="$log_level" \
    AUTH_TOKEN="$token" CLUSTER_SECRET="$secret" /bin/sh -c "$s" >>"$work/raftor-$i/log" 2>&1 &
  pids+=($!)
}
in_pod() { local i=$1; shift; ip netns exec "$(pod_ns "$i")" "$@"; }
# Every pod's readinessProbe passes within `secs`.
all_ready() {
  local secs=$1 t i
  for t in $(seq 1 $((secs * 5))); do
    local n=0
    for i in 0 1 2; do
      [ "$(in_pod $i curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/health/ready || true)" = 200 ] && n=$((n + 1))
    done
    [ $n = 3 ] && return 0
    sleep 0.2
  done
  return 1
}

grep -q '^  podManagementPolicy: Parallel$' "$k8s/statefulset.yaml" || fail "statefulset.yaml does not start its pods in parallel"
# podManagementPolicy: Parallel - all three at once.
for i in 0 1 2; do start_pod $i; done
all_ready 30 || fail "the three pods started together were not all ready within 30 s"
echo "formed: all three pods ready"
code=$(in_pod 0 curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $token" --data-binary hello \
  http://raftor-0.raftor-peers.raftor.svc.cluster.local:8080/kv/k8s)
[ "$code" = 200 ] || [ "$code" = 307 ] || fail "PUT on raftor-0: $code"
if [ "$code" = 307 ]; then
  in_pod 0 curl -fsS -L -X PUT -H "Authorization: Bearer $token" --data-binary hello \
    http://raftor-0.raftor-peers.raftor.svc.cluster.local:8080/kv/k8s >/dev/null || fail "PUT through the leader"
fi
got=$(in_pod 2 curl -fsS -H "Authorization: Bearer $token" http://127.0.0.1:8080/kv/k8s) || fail "GET on raftor-2"
echo "$got" | grep -q hello || fail "raftor-2 read '$got', not the write made on raftor-0"
echo "a write on raftor-0 read on raftor-2"

# Every pod deleted at once (a node drain, a cluster restart), then recreated together.
for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
pids=()
for i in 0 1 2; do start_pod $i; done
all_ready 30 || fail "after every pod was deleted, the three were not all ready again within 30 s"
got=$(in_pod 1 curl -fsS -H "Authorization: Bearer $token" http://127.0.0.1:8080/kv/k8s) || fail "GET on raftor-1 after the restart"
echo "$got" | grep -q hello || fail "after the restart raftor-1 read '$got'"
echo "k8s pods: OK"
