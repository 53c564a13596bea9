#!/bin/sh
# deploy/kubernetes: every manifest valid against the Kubernetes schema, offline
# (kubernetes-models, installed once from npm with the pinned lock file into the build
# dir); the check shown to bite on a bad manifest; the kustomization lists them all;
# and the StatefulSet's start script makes bootstrap pods members and later pods joiners.
# Usage: check_kubernetes.sh SOURCE_DIR WORK_DIR
set -eu
src=$1 work=$2
k8s=$src/deploy/kubernetes
command -v node >/dev/null && command -v npm >/dev/null || { echo "SKIPPED: node and npm are needed (Debian packages nodejs, npm)"; exit 0; }
mkdir -p "$work"
cp "$src/tests/deploy/k8s/package.json" "$src/tests/deploy/k8s/package-lock.json" "$src/tests/deploy/k8s/validate.mjs" "$work/"
if [ ! -d "$work/node_modules/kubernetes-models" ]; then
  (cd "$work" && npm ci --no-audit --no-fund --loglevel=error >npm.log 2>&1) ||
    { echo "SKIPPED: npm could not install the schema packages (offline?): $(tail -n 3 "$work/npm.log")"; exit 0; }
fi
manifests=$(sed -n 's/^  - \(.*\.yaml\)$/\1/p' "$k8s/kustomization.yaml")
for f in "$k8s"/*.yaml; do
  b=$(basename "$f")
  [ "$b" = kustomization.yaml ] && continue
  echo "$manifests" | grep -qx "$b" || { echo "kustomization.yaml does not list $b"; exit 1; }
done
set --
for m in $manifests; do set -- "$@" "$k8s/$m"; done
node "$work/validate.mjs" "$@"
# The PrometheusRule is the promtool-tested rules file, wrapped.
"$src/scripts/gen-prometheusrule" "$work/prometheusrule.yaml"
diff -u "$k8s/prometheusrule.yaml" "$work/prometheusrule.yaml" >"$work/rules.diff" ||
  { echo "prometheusrule.yaml differs from deploy/prometheus/raftor-rules.yml: run scripts/gen-prometheusrule"; cat "$work/rules.diff"; exit 1; }
# Scraped as job "daemon", which the rules select.
grep -A3 '^      relabelings:$' "$k8s/servicemonitor.yaml" | grep -q 'replacement: daemon' ||
  { echo "servicemonitor.yaml does not relabel the job to daemon"; exit 1; }
# Pods start together: one alone never becomes ready (no leader), so OrderedReady hangs.
grep -q '^  podManagementPolicy: Parallel$' "$k8s/statefulset.yaml" ||
  { echo "statefulset.yaml: podManagementPolicy must be Parallel (OrderedReady never starts raftor-1: raftor-0 alone elects no leader, so it is never ready)"; exit 1; }
# The check bites.
printf 'apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: x\nspec:\n  replicas: "three"\n  serviceName: x\n  selector: {}\n  template: {}\n' >"$work/bad.yaml"
if node "$work/validate.mjs" "$work/bad.yaml" >"$work/bad.out"; then echo "a bad manifest passed"; exit 1; fi
grep -q "replicas must be integer" "$work/bad.out" || { echo "unexpected: $(cat "$work/bad.out")"; exit 1; }
# The start script in the StatefulSet, run as the pods would.
script=$(sed -n '/^            - |$/,/^          env:$/p' "$k8s/statefulset.yaml" | sed '1d;$d' | sed 's/^              //' |
  sed 's#^exec /usr/local/bin/raftor .*#echo "join=${RAFT_JOIN:-false} members=$CLUSTER_NODES"#')
nodes=$(sed -n 's/^    \(raftor-0=.*\)$/\1/p' "$k8s/configmap.yaml")
for pod in raftor-0 raftor-2 raftor-3; do
  out=$(POD_NAME=$pod POD_NAMESPACE=raftor CLUSTER_NODES=$nodes sh -c "$script")
  case $pod in
    raftor-3) echo "$out" | grep -q "join=true members=.*,raftor-3=raftor-3.raftor-peers.raftor.svc.cluster.local:8081$" ;;
    *) echo "$out" | grep -q "join=false members=$nodes$" ;;
  esac || { echo "start script for $pod: $out"; exit 1; }
done
echo "kubernetes: OK"
