#!/bin/sh
# deploy/docker: the runtime stage installs a Debian package for every shared library
# the built binary links (so the small image starts), runs as a non-root user, has a
# health check and a graceful stop signal; the compose file parses (when docker compose
# is installed; the image itself is built where a Docker daemon runs).
# Usage: check_docker.sh SOURCE_DIR RAFTOR_BIN
set -eu
src=$1 bin=$2
df=$src/deploy/docker/Dockerfile
command -v dpkg >/dev/null || { echo "SKIPPED: dpkg is needed to map libraries to packages"; exit 0; }
runtime=$(sed -n '/^FROM .* AS runtime/,$p' "$df")
[ -n "$runtime" ] || { echo "no runtime stage"; exit 1; }
grep -q '^FROM .* AS builder' "$df" || { echo "no builder stage"; exit 1; }
missing=""
for lib in $(ldd "$bin" | awk '/=>/ {print $3}'); do
  # The path as linked, as resolved, or (with usrmerge) under this architecture's dir.
  pkg=""
  for q in "$lib" "$(readlink -f "$lib")" "*/$(uname -m)-linux-gnu/$(basename "$lib")"; do
    pkg=$(dpkg -S "$q" 2>/dev/null | head -n1 | cut -d: -f1) || true
    [ -n "$pkg" ] && break
  done
  [ -n "$pkg" ] || { echo "no package holds $lib"; exit 1; }
  case $pkg in
    libc6 | libgcc-s1 | libstdc++6) continue ;;  # in debian:12-slim
    libasan* | libubsan* | libtsan*) continue ;;  # a sanitizer build's (the image builds its own release binary)
  esac
  echo "$runtime" | grep -qw -- "$pkg" || missing="$missing $pkg($(basename "$lib"))"
done
[ -z "$missing" ] || { echo "the runtime stage lacks:$missing"; exit 1; }
echo "$runtime" | grep -q '^USER raftor' || { echo "the runtime stage does not run as the raftor user"; exit 1; }
echo "$runtime" | grep -A1 '^HEALTHCHECK' | grep -q '/health/live' || { echo "no health check"; exit 1; }
echo "$runtime" | grep -q '^STOPSIGNAL SIGTERM' || { echo "no stop signal"; exit 1; }
# The config the image ships loads (the cluster secret comes from the environment).
CLUSTER_SECRET=$(printf '%064d' 0) "$bin" node --config "$src/deploy/docker/daemon-config.json" --node-id node-1 \
  --cluster-nodes node-1=node-1:8081,node-2=node-2:8081,node-3=node-3:8081 --check-config
if docker compose version >/dev/null 2>&1; then
  (cd "$src/deploy/docker" && RAFTOR_CLUSTER_SECRET=x RAFTOR_AUTH_TOKEN=y docker compose -f docker-compose.yml config -q) || { echo "compose file invalid"; exit 1; }
  echo "docker compose config: OK"
elif command -v docker-compose >/dev/null; then
  (cd "$src/deploy/docker" && RAFTOR_CLUSTER_SECRET=x RAFTOR_AUTH_TOKEN=y docker-compose -f docker-compose.yml config -q) || { echo "compose file invalid"; exit 1; }
  echo "docker-compose config: OK"
else
  echo "(docker compose not installed: the compose file was not parsed)"
fi
echo "docker: OK"
