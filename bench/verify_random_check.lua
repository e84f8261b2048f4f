-- POST /verify with a new random, well-formed key on every request, whose
-- check digits are wrong: it must be refused without touching the store.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local lower = "0123456789abcdefghijklmnopqrstuvwxyz"
local any = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
local function rand(alphabet, n)
  local t = {}
  for i = 1, n do
    local k = math.random(#alphabet)
    t[i] = alphabet:sub(k, k)
  end
  return table.concat(t)
end
function request()
  local key = "pdl_live_apikey_" .. rand(lower, 26) .. "_" .. rand(any, 22) .. "_zzz"
  return wrk.format(nil, nil, nil, '{"token":"' .. key .. '","environment":"live"}')
end
