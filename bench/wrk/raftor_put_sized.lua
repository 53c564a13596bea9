-- wrk script: PUT /kv/<key> with a raw value of VALUE_BYTES bytes (default 1024),
-- keys cycling over 10,000.
local counter = 0
local value = string.rep("v", tonumber(os.getenv("VALUE_BYTES") or "1024"))
request = function()
  counter = counter + 1
  return wrk.format("PUT", "/kv/big-" .. (counter % 10000), { ["Content-Type"] = "application/octet-stream" }, value)
end
