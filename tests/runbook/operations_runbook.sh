# The operations runbook's daemon-facing commands, as written, each with what the
# runbook reads from it. Sourced by tests/runbook/run.sh (which maps hosts, kubectl and
# /tmp to the local cluster). Left out: kubectl's own views (get, top, describe, auth,
# rollout, set, patch), Prometheus's and Alertmanager's APIs (deploy.prometheus_rules
# and cluster.observability test those), npm, and the TLS check on :8443 (make run
# serves plain HTTP on loopback; cluster.security tests HTTPS).

# ---- Deployment, step 3: test health endpoints
check "deployment step 3: /health/startup is ready" 'json ".status == \"ready\""' <<'CMD'
curl http://localhost:8080/health/startup
CMD

check "deployment step 3: /health/cluster has 3 members, a leader, replicated" \
  'json ".clusterSize == 3 and (.leader | type == \"string\") and .replicated == true"' <<'CMD'
curl http://localhost:8080/health/cluster
CMD

# ---- Deployment, step 4: initialize operations
check "deployment step 4: register test-op" 'json ".id == \"test-op\""' <<'CMD'
curl -X POST http://localhost:8080/operations \
  -H "Content-Type: application/json" \
  -d '{
    "id": "test-op",
    "name": "Test Operation",
    "handler": "console.log(\"success\")"
  }'
CMD

check "deployment step 4: execute test-op" 'json ".executionId | type == \"string\""' <<'CMD'
curl -X POST http://localhost:8080/execute/test-op
CMD

check "deployment step 4: the last execution succeeded, with a duration" within 20 \
  'json ".status == \"success\" and (.duration | type == \"number\")"' <<'CMD'
curl http://localhost:8080/operations/test-op/history | jq '.[-1]'
CMD

check "deployment step 4: metrics updated" within 10 \
  'json ".totalOperations >= 1 and .successRate == 100"' <<'CMD'
curl http://localhost:8080/metrics | jq '{totalOperations, successRate}'
CMD

# ---- Post-deployment validation, step 3: monitoring
check "post-deployment step 3: /metrics answers HTTP 200 to curl -I" 'has "HTTP/1.1 200"' <<'CMD'
kubectl exec -n monitoring prometheus-0 -- \
  curl -I http://unrdf-daemon:8080/metrics
CMD

# ---- Upgrade: verify the cluster is healthy before
check "upgrade: cluster healthy" 'json_first ".clusterSize == 3" && has "Cluster healthy"' <<'CMD'
kubectl exec -n unrdf-daemons unrdf-daemon-0 -- \
  curl -s http://localhost:8080/health/cluster | jq .
echo "✓ Cluster healthy"
CMD

# ---- Blue-green upgrade, steps 3 to 5 (the pauses shortened from 30 s to 1 s)
check "blue-green upgrade: size, smoke tests, success rate" \
  '[ $rc = 0 ] && has "✓ Cluster size OK" && has "✓ Smoke tests pass" && has "✓ Upgrade successful"' <<'CMD'
# 3. Verify cluster still has 3 nodes
NODE_COUNT=$(kubectl exec -n unrdf-daemons unrdf-daemon-0 -- \
  curl -s http://localhost:8080/health/cluster | jq .clusterSize)
[ "$NODE_COUNT" = "3" ] && echo "✓ Cluster size OK" || exit 1

# 4. Run smoke tests
for i in {1..10}; do
  curl -X POST http://unrdf-daemon-0:8080/execute/test-op || exit 1
done
echo "✓ Smoke tests pass"

# 5. Monitor metrics
for i in {1..5}; do
  SUCCESS_RATE=$(curl -s http://unrdf-daemon-0:8080/metrics | jq .successRate)
  echo "Success rate check $i: $SUCCESS_RATE%"
  [ "$SUCCESS_RATE" -gt "98" ] || exit 1
  sleep 1
done

echo "✓ Upgrade successful"
CMD

# ---- Daily standup checks. Runs of test-op first, then one failing operation, so that
# there is an error to find and the rates below are neither 0 nor 100. (The upgrade
# script above compares successRate with [ -gt ], which takes whole numbers only: a rate
# of 99.5 makes it exit 1. docs/runbook.md gives `jq '.successRate | floor'`.)
for _ in $(seq 1 60); do curl -s -X POST 'http://localhost:8080/execute/test-op?wait=true' >/dev/null; done
curl -s -X POST http://localhost:8080/operations -H 'Content-Type: application/json' \
  -d '{"id":"failing-op","name":"Failing","handler":{"kind":"exec","argv":["/bin/false"]}}' >/dev/null
curl -s -X POST 'http://localhost:8080/execute/failing-op?wait=true' >/dev/null
check "daily standup: cluster health and recent errors" \
  'has "=== Cluster Health ===" && json_after "Cluster Health" ".clusterSize == 3" && has " ERROR " && has "operation=failing-op"' <<'CMD'
NAMESPACE="unrdf-daemons"

echo -e "\n=== Cluster Health ==="
kubectl exec -n $NAMESPACE unrdf-daemon-0 -- \
  curl -s http://localhost:8080/health/cluster | jq .

echo -e "\n=== Recent Errors ==="
kubectl logs -n $NAMESPACE unrdf-daemon-0 \
  --since=24h | grep ERROR | tail -5
CMD

# ---- Weekly maintenance, 5: performance trend
check "weekly maintenance: 7-day success rate" 'json "type == \"number\" and . > 98 and . <= 100"' <<'CMD'
curl http://localhost:8080/metrics/7d | jq '.successRate'
CMD

# ---- Monthly review
check "monthly review: metrics compiled and SLO compliance computed" \
  '[ $rc = 0 ] && json_after "SLO Compliance" "(.availability | type == \"number\") and .availability > 0 and (.latency | type == \"boolean\") and .errorRate > 0 and .errorRate < 2"' <<'CMD'
echo "=== Monthly Operations Review ==="
MONTH=$(date +%B)

# Compile metrics
kubectl exec -n unrdf-daemons unrdf-daemon-0 -- \
  curl -s http://localhost:8080/metrics/month | jq '{
    totalOperations,
    successRate,
    avgDuration,
    p95Duration,
    errorCount,
    clusterHealth: {
      replicationLag,
      failoverCount,
      uptime
    }
  }' > /tmp/metrics-$MONTH.json

# Analyze SLO compliance
echo -e "\n=== SLO Compliance ==="
cat > /tmp/slo-check.jq <<'EOF'
{
  availability: (.clusterHealth.uptime / 730 * 100),
  latency: (.p95Duration <= 100),
  errorRate: (.errorCount / .totalOperations * 100)
}
EOF

jq -f /tmp/slo-check.jq /tmp/metrics-$MONTH.json

# Generate report
echo "Report saved to /tmp/metrics-$MONTH.json"
CMD

# ---- Alert DaemonClusterUnhealthy, 3: check Raft state
check "alert cluster unhealthy: Raft state" 'json ".clusterSize == 3 and .role != null and .term >= 1"' <<'CMD'
kubectl exec -n unrdf-daemons unrdf-daemon-0 -- \
  curl -s http://localhost:8080/health/cluster | jq .
CMD

# ---- Alert DaemonHighErrorRate
check "alert high error rate: the error pattern" 'every_line " ERROR " && has "execution_failed"' <<'CMD'
kubectl logs -n unrdf-daemons unrdf-daemon-0 -f | grep ERROR | head -20
CMD

check "alert high error rate: the operation queue" 'json "(.pending | type == \"array\") and (.total | type == \"number\")"' <<'CMD'
curl http://unrdf-daemon-0:8080/queue
CMD

# ---- Scenario 2: leader failure (the test kills the leader first)
old_leader=$leader
kill_node "$(node_of "$old_leader")"
survivor=1
[ "$(node_of "$old_leader")" = 1 ] && survivor=2
for _ in $(seq 1 100); do
  l=$(leader_now "$survivor")
  [ -n "$l" ] && [ "$l" != "$old_leader" ] && break
  sleep 0.2
done
# The runbook asks unrdf-daemon-0: that is the surviving node's pod.
pod0=unrdf-daemon-$((survivor - 1))

check "scenario 2: identify the new leader" within 15 "json \"type == \\\"string\\\" and . != \\\"$old_leader\\\"\"" <<CMD
kubectl exec -n unrdf-daemons $pod0 -- \\
  curl -s http://localhost:8080/health/cluster | jq .leader
CMD

check "scenario 2: election logs" 'has "leader elected" && has "election"' <<'CMD'
for pod in unrdf-daemon-{0,1,2}; do
  echo "=== Logs from $pod ==="
  kubectl logs -n unrdf-daemons $pod | grep -i "election\|leader" | tail -5
done
CMD

check "scenario 2: the new leader is live" 'json ".status == \"alive\""' <<CMD
NEW_LEADER=\$(kubectl exec -n unrdf-daemons $pod0 -- \\
  curl -s http://localhost:8080/health/cluster | jq -r .leader)

kubectl exec -n unrdf-daemons \$NEW_LEADER -- \\
  curl -s http://localhost:8080/health/live | jq .
CMD

restart_node "$(node_of "$old_leader")"

check "scenario 2: replication caught up (lag under 50 ms)" within 30 \
  'json "type == \"number\" and . < 50"' <<'CMD'
curl http://localhost:8080/health/cluster | jq '.replicationLag'
CMD

# ---- Scenario 3: disk full on Raft storage, 3: trigger a snapshot
# Taken, or refused as there is nothing new to compact (a restarted, idle node).
check "scenario 3: trigger a snapshot" \
  'json "(.taken == true and .index > 0) or (.taken == false and (.detail | test(\"nothing applied\")))"' <<'CMD'
kubectl exec -n unrdf-daemons unrdf-daemon-0 -- \
  curl -X POST http://localhost:8080/admin/snapshot
CMD

# ---- Scenario 4: memory leak, 2: check cache size
check "scenario 4: cache size" 'json "(.size | type == \"number\") and (.maxSize | type == \"number\")"' <<'CMD'
kubectl exec -n unrdf-daemons unrdf-daemon-0 -- \
  curl -s http://localhost:8080/metrics | jq .cache
CMD

# ---- Scenario 5: network partition, 1: identify the partition (one leader, seen by all)
check "scenario 5: every pod names the same leader" within 15 \
  '[ "$(grep -c . <<<"$out")" = 6 ] && [ "$(grep -v === <<<"$out" | sort -u | wc -l)" = 1 ] && ! has null' <<'CMD'
for pod in unrdf-daemon-{0,1,2}; do
  echo "=== Status of $pod ==="
  kubectl exec -n unrdf-daemons $pod -- \
    curl -s http://localhost:8080/health/cluster | jq '.leader'
done
CMD

check "scenario 5: cluster reunified" within 15 'json ". == 3"' <<'CMD'
curl http://localhost:8080/health/cluster | jq .clusterSize
CMD

# ---- Performance tuning: baseline
check "performance baseline: the fields" \
  'json "[.totalOperations, .avgDuration, .p95Duration, .p99Duration, .successRate, .activeCount] | all(type == \"number\")"' <<'CMD'
curl http://unrdf-daemon-0:8080/metrics | jq '{
  totalOperations,
  avgDuration,
  p95Duration,
  p99Duration,
  successRate,
  activeCount
}'
CMD

check "performance baseline: saved as JSON" '[ $rc = 0 ] && ls /tmp/baseline-*.json >/dev/null && jq -e .totalOperations /tmp/baseline-*.json' <<'CMD'
curl http://unrdf-daemon-0:8080/metrics > /tmp/baseline-$(date +%s).json
CMD

check "cache size tuning: hit rate" \
  'json "[.cacheSize, .cacheHits, .cacheMisses, .cacheHitRate] | all(type == \"number\")"' <<'CMD'
curl http://unrdf-daemon-0:8080/metrics | jq '{
  cacheSize,
  cacheHits,
  cacheMisses,
  cacheHitRate
}'
CMD

# ---- Rollback: verify
check "rollback: cluster verified" 'json ".clusterSize == 3 and .replicated == true"' <<'CMD'
curl http://unrdf-daemon-0:8080/health/cluster
CMD

# ---- Data recovery after rollback, 2 and 3
check "data recovery: cluster started in the log" 'has "cluster started"' <<'CMD'
kubectl logs -n unrdf-daemons unrdf-daemon-0 | grep "cluster started"
CMD

check "data recovery: total operations" 'json "type == \"number\" and . > 60"' <<'CMD'
curl http://unrdf-daemon-0:8080/metrics | jq .totalOperations
CMD

# ---- Quick reference
check "quick reference: cluster status" 'json ".clusterSize == 3"' <<'CMD'
kubectl exec -n unrdf-daemons unrdf-daemon-0 -- curl -s http://localhost:8080/health/cluster | jq .
CMD

check "quick reference: metrics" 'json ".totalOperations > 0 and (.successRate | type == \"number\")"' <<'CMD'
kubectl exec -n unrdf-daemons unrdf-daemon-0 -- curl -s http://localhost:8080/metrics | jq .
CMD

check "quick reference: execute an operation" 'json ".executionId | type == \"string\""' <<'CMD'
OP_ID=test-op
kubectl exec -n unrdf-daemons unrdf-daemon-0 -- curl -X POST http://localhost:8080/execute/$OP_ID
CMD
