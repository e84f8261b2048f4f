-- POST /verify with a new random key on every request whose check digits
-- are right (read from the file in KEYS_FILE): each costs one store read,
-- then its ID is remembered as unknown.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local keys = {}
function init(args)
  for line in io.lines(os.getenv("KEYS_FILE")) do keys[#keys + 1] = line end
  math.randomseed(os.time() + #keys)
end
local i = 0
function request()
  i = i + 1
  local key = keys[(math.random(#keys * 1000) + i) % #keys + 1]
  return wrk.format(nil, nil, nil, '{"token":"' .. key .. '","environment":"live"}')
end
