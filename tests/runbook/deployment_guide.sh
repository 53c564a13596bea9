# The deployment guide's daemon-facing commands, as written, each with what the guide
# reads from it. Sourced by tests/runbook/run.sh after operations_runbook.sh (test-op
# exists and has run). Left out: building and pushing images, kubectl apply, aws s3,
# tar of /data/raft (the DR drill, deploy/dr-drill.sh, restores a backup for real), and
# the guide's `grep operation_count` on /metrics against a manifest field its own backup
# script never writes.

# ---- Kubernetes deployment: test the health endpoint
check "deploy: /health" 'json ".status == \"healthy\" and (.leader | type == \"string\")"' <<'CMD'
curl http://localhost:8080/health
CMD

# ---- Disaster recovery, 3: verify cluster integrity
check "disaster recovery: every node operational" \
  '[ "$(grep -o "\"clusterSize\":3" <<<"$out" | wc -l)" = 3 ]' <<'CMD'
for NODE in {0,1,2}; do
  curl http://unrdf-daemon-$NODE:8080/health/cluster
done
CMD

# ---- Disaster recovery, 4: replay any lost operations
check "disaster recovery: replay since 15 minutes ago" \
  'json "(.replayed | type == \"number\") and (.executions | type == \"array\")"' <<'CMD'
curl -X POST http://api.example.com/daemon/replay \
  -d '{"since": "'$(date -d '-15 min' -Iseconds)'"}' \
  -H "Content-Type: application/json"
CMD

# ---- Troubleshooting: high Raft replication latency
check "troubleshooting: ping a peer" 'has "pong"' <<'CMD'
kubectl exec -n unrdf-daemons unrdf-daemon-0 -- \
  curl http://unrdf-daemon-1:8081/ping
CMD

# ---- Troubleshooting: OOMKilled
check "troubleshooting: operation cache size" 'json "(.size | type == \"number\") and (.hitRate | type == \"number\")"' <<'CMD'
curl http://unrdf-daemon-0:8080/metrics | jq .cache
CMD

# ---- Debug commands
check "debug: metrics endpoint" 'json ".totalOperations > 0"' <<'CMD'
curl http://unrdf-daemon-0:8080/metrics | jq .
CMD

check "debug: health checks" \
  'has "\"status\":\"alive\"" && has "\"status\":\"ready\"" && has "\"clusterSize\":3"' <<'CMD'
curl http://unrdf-daemon-0:8080/health/live
curl http://unrdf-daemon-0:8080/health/ready
curl http://unrdf-daemon-0:8080/health/cluster
CMD

check "debug: recent operations" 'json "type == \"array\" and length >= 2 and any(.id == \"test-op\")"' <<'CMD'
curl http://unrdf-daemon-0:8080/operations?limit=100 | jq .
CMD
