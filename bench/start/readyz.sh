#!/usr/bin/env bash
# Prints the milliseconds from starting `keygate serve` (SQLite, a fresh data
# directory, migrated first) to its first 200 from the live API's /readyz.
#   go build -o /tmp/keygate ./cmd/keygate && bash bench/start/readyz.sh /tmp/keygate
bin=$1; dir=$(mktemp -d)
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
m=127.0.0.1:$(port); a=$(port); b=$(port); c=$(port); d=$(port)
KEYGATE_DATA_DIR=$dir $bin migrate >/dev/null 2>&1
start=$(date +%s%N)
KEYGATE_DATA_DIR=$dir KEYGATE_LIVE_API_ADDR=127.0.0.1:$a KEYGATE_SANDBOX_API_ADDR=127.0.0.1:$b KEYGATE_LIVE_DASHBOARD_ADDR=127.0.0.1:$c KEYGATE_SANDBOX_DASHBOARD_ADDR=127.0.0.1:$d KEYGATE_METRICS_ADDR=$m KEYGATE_LOG_LEVEL=error $bin serve >/dev/null 2>&1 &
pid=$!
until curl -fs -o /dev/null http://127.0.0.1:$a/readyz 2>/dev/null; do sleep 0.002; done
end=$(date +%s%N)
kill $pid; wait $pid 2>/dev/null; rm -rf $dir
echo $(( (end-start)/1000000 ))
