#!/usr/bin/env bash
# Chaos on real processes: N `raftor node` processes, each in its own network namespace,
# joined by veth pairs to a bridge in a namespace of its own; the chaos tool runs in a
# client namespace on the same bridge and drives clients, nemeses and the checks.
#
#   tests/chaos/chaos.sh RAFTOR_BIN CHAOS_TOOL [--nodes N] [--duration SECONDS] [--seed S]
#
# Everything it makes (namespaces, veths, the bridge, iptables rules inside the node
# namespaces, one tmpfs per node for its data dir) it removes on exit, whatever happened
# (trap). The addresses live only inside those namespaces. Without root, ip or iptables
# it prints SKIPPED and why, and exits 0: ctest reports it skipped, never passed.
# On failure the work dir (history.jsonl, every node's log, configs) is kept and named.
set -uo pipefail

bin=${1:?usage: chaos.sh RAFTOR_BIN CHAOS_TOOL [options]}
tool=${2:?usage: chaos.sh RAFTOR_BIN CHAOS_TOOL [options]}
shift 2
nodes=3
for ((a = 1; a <= $#; a++)); do
  [ "${!a}" = "--nodes" ] && { b=$((a + 1)); nodes=${!b}; }
done
case "$nodes" in 3 | 4 | 5 | 6 | 7) ;; *) echo "chaos: --nodes must be 3 to 7, not '$nodes'" >&2; exit 2 ;; esac

result=1
skip() { echo "SKIPPED: $*"; result=0; exit 0; }
[ "$(id -u)" -eq 0 ] || skip "chaos needs root to make network namespaces (running as uid $(id -u))"
command -v ip >/dev/null || skip "ip (Debian package iproute2) is not installed"
command -v iptables >/dev/null || skip "iptables (Debian package iptables) is not installed"

id="rch$$"                 # short: namespace names show up in error messages
bridge_ns="$id-br"
client_ns="$id-c"
subnet=10.213.0
disk_mb=${CHAOS_DISK_MB:-96}
work=$(mktemp -d "${TMPDIR:-/tmp}/raftor-chaos-XXXXXX")
made_ns=()

cleanup() {
  trap - EXIT INT TERM
  for ns in "${made_ns[@]}"; do
    pids=$(ip netns pids "$ns" 2>/dev/null)
    [ -n "$pids" ] && kill -9 $pids 2>/dev/null
  done
  sleep 0.2
  for ((i = 1; i <= nodes; i++)); do
    mountpoint -q "$work/node-$i/data" 2>/dev/null && { umount "$work/node-$i/data" 2>/dev/null || umount -l "$work/node-$i/data"; }
  done
  for ns in "${made_ns[@]}"; do ip netns del "$ns" 2>/dev/null; done
  if [ "$result" -eq 0 ] && [ -z "${CHAOS_KEEP:-}" ]; then
    rm -rf "$work"
  else
    echo "chaos: kept $work (history.jsonl, node-*/raftor.log, node-*/config.json)"
  fi
  exit "$result"
}
trap cleanup EXIT INT TERM

add_ns() {
  ip netns add "$1" 2>/tmp/raftor-chaos-ns.err || {
    skip "cannot create network namespaces: $(cat /tmp/raftor-chaos-ns.err)"
  }
  made_ns+=("$1")
  ip -n "$1" link set lo up
}

# A host on the bridge: its namespace, a veth whose one end is its eth0 and the other
# a port of br0, and its address.
attach() {  # ns port address
  ip -n "$bridge_ns" link add "$2" type veth peer name eth0 netns "$1" &&
    ip -n "$bridge_ns" link set "$2" master br0 &&
    ip -n "$bridge_ns" link set "$2" up &&
    ip -n "$1" addr add "$3/24" dev eth0 &&
    ip -n "$1" link set eth0 up
}

add_ns "$bridge_ns"
ip -n "$bridge_ns" link add br0 type bridge && ip -n "$bridge_ns" link set br0 up || { echo "chaos: cannot make the bridge" >&2; exit 1; }
add_ns "$client_ns"
attach "$client_ns" pc "$subnet.100" || { echo "chaos: cannot attach the client namespace" >&2; exit 1; }
for ((i = 1; i <= nodes; i++)); do
  add_ns "$id-n$i"
  attach "$id-n$i" "p$i" "$subnet.$((10 + i))" || { echo "chaos: cannot attach node $i" >&2; exit 1; }
  ip netns exec "$id-n$i" iptables -S >/dev/null 2>&1 || skip "iptables does not work in a network namespace here"
  mkdir -p "$work/node-$i/data"
  mount -t tmpfs -o "size=${disk_mb}m,mode=0700" tmpfs "$work/node-$i/data" || { echo "chaos: cannot mount a tmpfs for node $i" >&2; exit 1; }
done

faketime_lib=""
for f in /usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1 /usr/lib/*/faketime/libfaketimeMT.so.1; do
  [ -e "$f" ] && { faketime_lib=$f; break; }
done

ip netns exec "$client_ns" "$tool" --bin "$bin" --work "$work" --ns-prefix "$id" --subnet "$subnet" \
  --faketime "$faketime_lib" "$@"
result=$?
