-- POST /verify with a mix like real traffic: 90% valid keys spread uniformly
-- over the keys in VALID_FILE (100,000 in bench/load.sh), 9% invalid keys
-- (well-formed, right check digits, no such key: KEYS_FILE; each read from
-- the store once, then remembered as unknown for a minute) and 1% random
-- keys whose check digits are wrong (refused without touching the store).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local valid, unknown = {}, {}
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
function init(args)
  for line in io.lines(os.getenv("VALID_FILE")) do valid[#valid + 1] = line end
  for line in io.lines(os.getenv("KEYS_FILE")) do unknown[#unknown + 1] = line end
  math.randomseed(os.time() + #valid + (id or 0))
end
function request()
  local r, key = math.random(100), nil
  if r <= 90 then
    key = valid[math.random(#valid)]
  elseif r <= 99 then
    key = unknown[math.random(#unknown)]
  else
    key = "pdl_live_apikey_" .. rand(lower, 26) .. "_" .. rand(any, 22) .. "_zzz"
  end
  return wrk.format(nil, nil, nil, '{"token":"' .. key .. '","environment":"live","permission":"product.read"}')
end
