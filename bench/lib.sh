# Sourced by the benchmark scripts: a scratch directory ($work) and the processes a
# script starts ($pids), both gone when the script exits, however it exits.
#   bench_scratch NAME
bench_scratch() {
  work=$(mktemp -d "/tmp/$1.XXXXXX")
  pids=()
  trap bench_cleanup EXIT
}
bench_cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}

# Starts node I (1-3) of a 3-node raftor cluster on loopback: HTTP on BASE + 10*I,
# peers on BASE + 10*I + 1, its data dir $work/TAG-I; its pid goes to raftor_pid[I]
# and $pids.
#   bench_raftor_node BIN TAG BASE I
declare -A raftor_pid=()
bench_raftor_node() {
  local bin=$1 tag=$2 base=$3 i=$4
  local dir=$work/$tag-$i
  local members="node-1=127.0.0.1:$((base + 11)),node-2=127.0.0.1:$((base + 21)),node-3=127.0.0.1:$((base + 31))"
  mkdir -p "$dir"
  cat >"$dir/config.json" <<JSON
{ "logLevel": "warn", "clusterId": "$tag", "dataDir": "$dir",
  "raft": { "heartbeatIntervalMs": 150, "electionTimeoutMs": 1500 },
  "listen": { "http": "127.0.0.1:$((base + 10 * i))", "peer": "127.0.0.1:$((base + 10 * i + 1))" } }
JSON
  "$bin" node --config "$dir/config.json" --node-id "node-$i" --cluster-nodes "$members" >>"$dir/log" 2>&1 &
  raftor_pid[$i]=$!
  pids+=($!)
}
