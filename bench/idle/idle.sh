#!/usr/bin/env bash
# Measures the CPU an idle `keygate serve` uses: it starts the binary
# (default: built from this tree) on SQLite in a temporary directory, or on
# PostgreSQL with KEYGATE_DATABASE_URL, waits for /readyz, lets it settle,
# then reads its user+system CPU time from /proc over SECONDS seconds.
#
#   bash bench/idle/idle.sh                     # SQLite, 30 s
#   SECONDS_IDLE=60 KEYGATE_DATABASE_URL='postgres://…?search_path=…' bash bench/idle/idle.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${KEYGATE_BIN:-}
if [[ -z $bin ]]; then
  bin=$(mktemp -d)/keygate
  go build -o "$bin" ./cmd/keygate
fi
dir=$(mktemp -d)
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
metrics=127.0.0.1:$(port)
api=127.0.0.1:$(port)
KEYGATE_DATA_DIR=$dir KEYGATE_LIVE_API_ADDR=$api KEYGATE_SANDBOX_API_ADDR=127.0.0.1:$(port) \
  KEYGATE_LIVE_DASHBOARD_ADDR=127.0.0.1:$(port) KEYGATE_SANDBOX_DASHBOARD_ADDR=127.0.0.1:$(port) \
  KEYGATE_METRICS_ADDR=$metrics KEYGATE_LOG_LEVEL=error "$bin" serve >"$dir/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do curl -fs "http://$api/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
sleep 3
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
secs=${SECONDS_IDLE:-30}
a=$(ticks); sleep "$secs"; b=$(ticks)
python3 -c "print('idle CPU over %d s: %.4f cores (%d ticks of 1/%d s)' % ($secs, ($b-$a)/$hz/$secs, $b-$a, $hz))"
