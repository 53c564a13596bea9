-- wrk script: etcd v3 gRPC-gateway put with a 64-byte value, keys cycling over 10,000.
local b = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function base64(data)
  return ((data:gsub(".", function(x)
    local r, byte = "", x:byte()
    for i = 8, 1, -1 do r = r .. (byte % 2 ^ i - byte % 2 ^ (i - 1) > 0 and "1" or "0") end
    return r
  end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(x)
    if #x < 6 then return "" end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == "1" and 2 ^ (6 - i) or 0) end
    return b:sub(c + 1, c + 1)
  end) .. ({ "", "==", "=" })[#data % 3 + 1])
end
local value = base64(string.rep("v", 64))
local bodies = {}
for i = 0, 9999 do
  bodies[i] = '{"key":"' .. base64("bench-" .. i) .. '","value":"' .. value .. '"}'
end
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("POST", "/v3/kv/put", { ["Content-Type"] = "application/json" }, bodies[counter % 10000])
end
