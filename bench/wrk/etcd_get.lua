-- wrk script: etcd v3 gateway linearizable range of one key ("bench-read").
local body = '{"key":"YmVuY2gtcmVhZA=="}'
request = function()
  return wrk.format("POST", "/v3/kv/range", { ["Content-Type"] = "application/json" }, body)
end
