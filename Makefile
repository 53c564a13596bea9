# The operator's entry points. Everything goes through CMake presets (Ninja, ccache).
.PHONY: all bootstrap build run test test-asan test-tsan fuzz bench bench-metrics-cost sim-long chaos-long image clean

CTEST_ARGS ?=

all: build

bootstrap:
	@scripts/bootstrap

build/default/build.ninja: CMakeLists.txt CMakePresets.json | bootstrap
	@cmake --preset default >/dev/null

build: bootstrap build/default/build.ninja
	@cmake --build --preset default

run: build
	@scripts/run-cluster

test: build
	@ctest --preset default $(CTEST_ARGS)

test-asan: bootstrap
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan
	@ctest --preset asan $(CTEST_ARGS)

# Every test, the multi-process ones included, over a ThreadSanitizer build of CAF's
# core (built once from Debian's source package and cached: scripts/caf-tsan).
# Reports go to build/tsan/reports, from the test processes and the nodes they start
# alike: one there fails the target even if the process that made it was not watched.
test-tsan: bootstrap
	@lib=$$(scripts/caf-tsan) && cmake --preset tsan -DCAF_core_LIBRARY="$$lib" >/dev/null
	@cmake --build --preset tsan
	@rm -rf build/tsan/reports && mkdir -p build/tsan/reports
	@ctest --preset tsan $(CTEST_ARGS); rc=$$?; \
	  if [ -n "$$(ls build/tsan/reports)" ]; then \
	    cat build/tsan/reports/*; echo "ThreadSanitizer: $$(ls build/tsan/reports | wc -l) report(s) in build/tsan/reports" >&2; exit 1; \
	  fi; exit $$rc

# Coverage-guided fuzzing (libFuzzer, clang-16): each target FUZZ_SECONDS (60) from its
# committed corpus; prints execs per target. `make test` replays the corpora.
fuzz: bootstrap
	@scripts/fuzz

bench: build
	@build/default/bench/raft_core_throughput
	@build/default/bench/storage_group_commit
	@build/default/bench/receipts_sign
	@build/default/bench/ops_memory
	@build/default/bench/ops_cluster
	@bench/kv_vs_etcd.sh
	@bench/peer_auth_cost.sh
	@bench/partition_memory.sh

# A second build with the live metrics compiled out (build/nometrics): a while to build.
bench-metrics-cost: bootstrap
	@bench/metrics_cost.sh

# Seeds without end, from a fresh start each time, on every core; failing seeds print
# the command that replays them. SIM_ARGS adds flags (e.g. --nodes 7 --faults partition).
SIM_ARGS ?= --nodes 5 --duration 60s
sim-long: build
	@build/default/raftor sim --forever --quiet --jobs $$(nproc) --seed $$(date +%s) $(SIM_ARGS)

# Real processes in network namespaces (root): 5 nodes for 10 minutes, every nemesis in
# a seeded random order. CHAOS_ARGS changes it (e.g. --duration 3600 --seed 42
# --nemesis partition,kill). `make test` runs 3 nodes for 60 s.
CHAOS_ARGS ?= --nodes 5 --duration 600
chaos-long: build
	@tests/chaos/chaos.sh build/default/raftor build/default/tests/chaos/raftor-chaos $(CHAOS_ARGS)

# The container image (deploy/docker/Dockerfile) built from source with podman, on a
# Debian 12 base made with debootstrap; prints its size. IMAGE_TAG names it.
IMAGE_TAG ?= raftor:dev
image: bootstrap
	@scripts/image $(IMAGE_TAG)

clean:
	@rm -rf build
