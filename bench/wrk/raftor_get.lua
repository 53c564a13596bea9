-- wrk script: linearizable GET /kv/bench-read (a ReadIndex round per read, coalesced).
request = function()
  return wrk.format("GET", "/kv/bench-read")
end
