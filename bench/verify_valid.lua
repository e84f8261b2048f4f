-- POST /verify with the valid key in the KEY environment variable.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"token":"' .. os.getenv("KEY") .. '","environment":"live","permission":"product.read"}'
