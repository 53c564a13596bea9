-- wrk script: PUT /kv/<key> with a 64-byte raw value, keys cycling over 10,000.
local counter = 0
local value = string.rep("v", 64)
request = function()
  counter = counter + 1
  return wrk.format("PUT", "/kv/bench-" .. (counter % 10000), { ["Content-Type"] = "application/octet-stream" }, value)
end
