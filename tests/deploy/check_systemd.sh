#!/bin/sh
# deploy/systemd/raftor.service: `systemd-analyze verify` finds nothing to say (an
# unknown key is only a warning there, so any output fails), and the hardening scores
# "OK" in `systemd-analyze security` (exposure under 2.0).
# Usage: check_systemd.sh SOURCE_DIR RAFTOR_BIN
set -eu
src=$1 bin=$2
command -v systemd-analyze >/dev/null || { echo "SKIPPED: systemd-analyze is not installed"; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The unit names /usr/local/bin/raftor and /etc/raftor/raftor.env; verify checks both exist.
sed -e "s#/usr/local/bin/raftor#$bin#" -e "s#/etc/raftor/raftor.env#$tmp/raftor.env#" \
  "$src/deploy/systemd/raftor.service" >"$tmp/raftor.service"
cp "$src/deploy/systemd/raftor.env" "$tmp/raftor.env"
out=$(systemd-analyze verify "$tmp/raftor.service" 2>&1) || { echo "verify failed: $out"; exit 1; }
[ -z "$out" ] || { echo "verify said: $out"; exit 1; }
# The check bites: a misspelt key is reported.
sed 's/^NoNewPrivileges=/NoNewPrivilege=/' "$tmp/raftor.service" >"$tmp/bad.service"
systemd-analyze verify "$tmp/bad.service" 2>&1 | grep -q "Unknown key" || { echo "verify missed a bad key"; exit 1; }
score=$(systemd-analyze security --offline=true "$tmp/raftor.service" 2>&1 | sed -n 's/.*Overall exposure level for raftor.service: \([0-9.]*\).*/\1/p')
[ -n "$score" ] || { echo "no exposure score"; exit 1; }
echo "systemd: verify clean, exposure $score"
awk -v s="$score" 'BEGIN { exit !(s < 2.0) }' || { echo "exposure $score is not under 2.0"; exit 1; }
# The environment file names every variable the node reads from it, and parses as such.
for v in NODE_ID CLUSTER_NODES CLUSTER_ID LOG_LEVEL; do
  grep -q "^$v=" "$src/deploy/systemd/raftor.env" || { echo "raftor.env lacks $v"; exit 1; }
done
out=$( set -a; . "$src/deploy/systemd/raftor.env"; "$bin" node --config "$src/deploy/systemd/daemon-config.json" --check-config 2>&1 ) ||
  { echo "the shipped configuration does not load: $out"; exit 1; }
echo "$out"
echo "systemd: OK"
