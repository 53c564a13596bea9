#!/usr/bin/env bash
# The container image, built and run: the 3-member compose file, up with podman-compose.
# The image is the Dockerfile's runtime stage around the binary this build made
# (`make image` builds it from source); the compose file is the shipped one with its
# host ports moved to loopback ports of the test's own and its image renamed. Checks:
# every member ready, a write through one container read from another, the image's
# health check, a graceful stop (exit 0, "node_stopped" clean) and its size.
# SKIPPED, with the reason, where podman cannot build or run here.
# Usage: compose.sh SOURCE_DIR RAFTOR_BIN [HOST_PORT_BASE]
set -euo pipefail
src=$1 bin=$2 base=${3:-18480}
cd "$src"
# A sanitizer build's binary needs its runtime (and, under TSan, a libcaf_core built
# for it) that the image does not hold: the image is tested with the release build.
if ldd "$bin" | grep -q -E 'libtsan|libasan|libubsan'; then
  echo "SKIPPED: $bin is a sanitizer build; the image is tested with the release build (make test)"
  exit 0
fi
# shellcheck source=scripts/podman-env
. scripts/podman-env
why=$(podman_unusable)
[ -z "$why" ] || { echo "SKIPPED: $why"; exit 0; }
command -v podman-compose >/dev/null || { echo "SKIPPED: podman-compose is not installed (Debian package podman-compose)"; exit 0; }
if ! ensure_base_images; then echo "SKIPPED: the Debian 12 base image could not be made (debootstrap failed)"; exit 0; fi
if ! podman run --rm debian:12 true 2>/tmp/raftor-podman-run.err; then
  echo "SKIPPED: podman cannot run a container here: $(tail -n 1 /tmp/raftor-podman-run.err)"
  exit 0
fi

tag=localhost/raftor:compose-test
project=raftor-compose-test
work=$(mktemp -d)
compose() { podman-compose -p "$project" -f "$work/docker-compose.yml" "$@" >>"$work/compose.log" 2>&1; }
cleanup() {
  compose down -v -t 5 || true
  rm -rf "$work"
}
trap cleanup EXIT
failed() {
  echo "FAILED: $*"
  for n in 1 2 3; do
    echo "--- node-$n"
    podman logs --tail 20 "${project}_node-${n}_1" 2>&1 || true
  done
  echo "--- podman-compose"
  tail -n 20 "$work/compose.log"
  exit 1
}

t0=$(date +%s)
scripts/image --prebuilt "$bin" "$tag" >"$work/image.log" 2>&1 || { tail -n 30 "$work/image.log"; exit 1; }
echo "image: built in $(($(date +%s) - t0)) s, $(image_mb "$tag") MB"
sed -e "s#^  image: raftor:dev#  image: $tag#" \
  -e "s#\"8080:8080\"#\"127.0.0.1:$base:8080\"#" \
  -e "s#\"8090:8080\"#\"127.0.0.1:$((base + 1)):8080\"#" \
  -e "s#\"8100:8080\"#\"127.0.0.1:$((base + 2)):8080\"#" \
  deploy/docker/docker-compose.yml >"$work/docker-compose.yml"
grep -q "image: $tag" "$work/docker-compose.yml" || failed "the compose file does not name image raftor:dev"
[ "$(grep -c '"127.0.0.1:' "$work/docker-compose.yml")" -eq 3 ] || failed "the compose file's ports are not 8080, 8090 and 8100"

RAFTOR_CLUSTER_SECRET=$(openssl rand -hex 32)
RAFTOR_AUTH_TOKEN=$(openssl rand -hex 32)
export RAFTOR_CLUSTER_SECRET RAFTOR_AUTH_TOKEN
compose down -v -t 5 || true # a run before that was killed
compose up -d --no-build || failed "podman-compose up"

in_node() { podman exec "${project}_node-$1_1" curl -sS -m 5 -H "Authorization: Bearer $RAFTOR_AUTH_TOKEN" "${@:2}"; }
deadline=$(($(date +%s) + 120))
for n in 1 2 3; do
  until [ "$(in_node "$n" -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/health/ready 2>/dev/null)" = 200 ]; do
    [ "$(date +%s)" -lt "$deadline" ] || failed "node-$n not ready within 120 s"
    sleep 1
  done
done
echo "cluster: ready in $(($(date +%s) - t0)) s from the start of the build"
curl -fsS -m 5 "http://127.0.0.1:$base/health/cluster" | jq -e '.members | length == 3' >/dev/null ||
  failed "GET /health/cluster on the host port does not list 3 members"

value="written-through-node-1-$RANDOM"
in_node 1 -f -X PUT --data "$value" http://127.0.0.1:8080/kv/compose-check >/dev/null || failed "PUT through node-1"
got=$(in_node 3 -f http://127.0.0.1:8080/kv/compose-check | jq -r .value) || failed "GET through node-3"
[ "$got" = "$value" ] || failed "node-3 read '$got', not '$value'"
echo "kv: written through node-1, read from node-3"

# The image's HEALTHCHECK, as podman runs it.
podman healthcheck run "${project}_node-2_1" >/dev/null || failed "the image's health check fails on node-2"

# A graceful stop: SIGTERM, the node hands over or flushes and exits 0 within the grace.
t=$(date +%s)
podman stop -t 30 "${project}_node-2_1" >/dev/null
code=$(podman inspect "${project}_node-2_1" --format '{{.State.ExitCode}}')
[ "$code" = 0 ] || failed "node-2 exited $code on SIGTERM"
podman logs "${project}_node-2_1" 2>&1 | grep '"event":"node_stopped"' | grep -q '"clean":"true"' ||
  failed "node-2's log has no clean node_stopped"
echo "stop: node-2 exited 0 in $(($(date +%s) - t)) s"
# The two left still serve.
in_node 1 -f http://127.0.0.1:8080/kv/compose-check >/dev/null || failed "node-1 does not serve with node-2 stopped"
echo "compose: OK (image $(image_mb "$tag") MB)"
