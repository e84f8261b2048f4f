-- POST /verify with every key of VALID_FILE in turn, each once until all
-- have been used: the first touch of each key, which a cold cache must read
-- from the store. Each wrk thread starts at its own share of the file.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end
local keys, i = {}, 0
function init(args)
  for line in io.lines(os.getenv("VALID_FILE")) do keys[#keys + 1] = line end
  i = math.floor(#keys * (id or 0) / tonumber(os.getenv("THREADS") or "1"))
end
function request()
  i = i % #keys + 1
  return wrk.format(nil, nil, nil, '{"token":"' .. keys[i] .. '","environment":"live","permission":"product.read"}')
end
