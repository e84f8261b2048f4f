#!/usr/bin/env bash
# bench/load.sh: keygate's gateway and verify endpoint under load, beside the
# upstream alone and a bare reverse proxy, in one run on loopback.
#
#   bash bench/load.sh            # DURATION=10s CONNS=64 THREADS=2 by default
#   SCENARIOS="mixed cold" bash bench/load.sh     # only some scenarios
#
# Every target is on 127.0.0.1; every wrk run is bounded by DURATION. It
# prints requests per second and p50/p99 latency per scenario, and the ratio
# of the gateway (valid key) to the bare proxy. docs/performance.md records
# its figures.
#
# Scenarios (SCENARIOS, default all): "proxy" (the upstream, the bare
# proxies, the gateway), "verify" (one valid key, random keys), "mixed"
# (90% valid keys spread over VALID_KEYS=100,000 keys, 9% invalid, 1%
# random) and "cold" (the first touch of each of the VALID_KEYS keys, after
# a restart without and then with the cache's warm-up).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}

if ! command -v wrk >/dev/null 2>&1; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi

work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

echo "building..."
go build -o "$work/keygate" ./cmd/keygate
go build -o "$work/upstream" ./bench/upstream
go build -o "$work/bareproxy" ./bench/bareproxy
go build -o "$work/genkeys" ./bench/genkeys
"$work/genkeys" -n 200000 >"$work/keys.txt"
SCENARIOS=${SCENARIOS:-proxy verify mixed cold}
VALID_KEYS=${VALID_KEYS:-100000}
has() { [[ " $SCENARIOS " == *" $1 "* ]]; }
echo "creating $VALID_KEYS keys, each with a last use..."
"$work/genkeys" -n "$VALID_KEYS" -data-dir "$work/data" >"$work/valid.txt"

export KEYGATE_DATA_DIR="$work/data"
export KEYGATE_LIVE_API_ADDR=127.0.0.1:19082 KEYGATE_SANDBOX_API_ADDR=127.0.0.1:19083
export KEYGATE_LIVE_DASHBOARD_ADDR=127.0.0.1:19084 KEYGATE_SANDBOX_DASHBOARD_ADDR=127.0.0.1:19085
export KEYGATE_METRICS_ADDR=127.0.0.1:19086 KEYGATE_VERIFY_ADDR=127.0.0.1:19090
export KEYGATE_LIVE_UPSTREAM_URL=http://127.0.0.1:19080 KEYGATE_RATE_LIMIT=0 KEYGATE_LOG_LEVEL=warn

"$work/upstream" -addr 127.0.0.1:19080 & pids+=($!)
"$work/bareproxy" -addr 127.0.0.1:19081 -upstream http://127.0.0.1:19080 & pids+=($!)
"$work/bareproxy" -addr 127.0.0.1:19087 -upstream http://127.0.0.1:19080 -buffer-pool & pids+=($!)
# start_keygate starts the server (with the environment given, e.g.
# KEYGATE_WARM_KEYS=0) and waits for /readyz; stop_keygate stops it.
kg=
start_keygate() {
	env "$@" "$work/keygate" serve 2>>"$work/keygate.log" &
	kg=$!
	for _ in $(seq 1 300); do
		curl -fs http://127.0.0.1:19082/readyz >/dev/null 2>&1 && curl -fs http://127.0.0.1:19080/ >/dev/null 2>&1 && break
		sleep 0.1
	done
}
stop_keygate() { kill "$kg" 2>/dev/null || true; wait "$kg" 2>/dev/null || true; kg=; }
# results prints the server's count of valid and of invalid authentications.
results() {
	curl -fs http://127.0.0.1:19086/metrics | awk '/^keygate_auth_results_total\{result="ok"\}/ { ok = $2 } /^keygate_auth_results_total\{result="invalid_token"\}/ { bad = $2 } END { printf "%d %d", ok, bad }'
}
# warmed waits (at most 120 s) until the warm-up has ended and prints how
# long that took and how many keys it cached.
warmed() {
	local start=$(date +%s%N)
	for _ in $(seq 1 1200); do
		curl -fs http://127.0.0.1:19086/metrics | grep -q '^keygate_auth_warm_up_done 1' && break
		sleep 0.1
	done
	echo "  warm-up ended within $(( ($(date +%s%N) - start) / 1000000 )) ms of ready: $(curl -fs http://127.0.0.1:19086/metrics | awk '/^keygate_auth_warmed_keys/ { print $2 }') keys cached"
}
start_keygate
trap 'stop_keygate; cleanup' EXIT

ACC=$("$work/keygate" accounts create --environment live --name Load)
KEY=$("$work/keygate" api-keys create --account "$ACC" --name load --permissions product.read 2>/dev/null)
BAD="pdl_live_apikey_$(printf '0%.0s' {1..26})_$(printf 'A%.0s' {1..22})_zzz"
export KEY KEYS_FILE="$work/keys.txt" VALID_FILE="$work/valid.txt" THREADS
sleep 0.5 # let the server's change feed see the new key

# ms converts wrk's latency ("812.00us", "1.20ms", "2.01s") to milliseconds.
ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'; }

printf '\n%-28s %12s %10s %10s %8s\n' scenario "req/s" "p50 ms" "p99 ms" non2xx
declare -A RPS
run() {
	local name=$1; shift
	wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$@" >"$work/$name.txt" 2>&1
	local rps p50 p99 bad
	rps=$(awk '/^Requests\/sec/ { print $2 }' "$work/$name.txt")
	p50=$(ms "$(awk '$1 == "50%" { print $2 }' "$work/$name.txt")")
	p99=$(ms "$(awk '$1 == "99%" { print $2 }' "$work/$name.txt")")
	bad=$(awk '/Non-2xx/ { print $5 }' "$work/$name.txt"); bad=${bad:-0}
	RPS[$name]=$rps
	printf '%-28s %12s %10s %10s %8s\n' "$name" "$rps" "$p50" "$p99" "$bad"
}

if has proxy; then
	run upstream-direct      http://127.0.0.1:19080/products
	run bare-proxy           http://127.0.0.1:19081/products
	run bare-proxy-pooled    http://127.0.0.1:19087/products
	run gateway-valid-key    -H "Authorization: Bearer $KEY" http://127.0.0.1:19082/products
	run gateway-invalid-key  -H "Authorization: Bearer $BAD" http://127.0.0.1:19082/products
fi
if has verify || has mixed; then
	run verify-valid-key     -s bench/verify_valid.lua http://127.0.0.1:19090/verify
fi
if has verify; then
	run verify-random-bad-check -s bench/verify_random_check.lua http://127.0.0.1:19090/verify
	run verify-random-good-check -s bench/verify_known_check.lua http://127.0.0.1:19090/verify
fi
if has mixed; then
	before=$(results)
	run verify-mixed         -s bench/verify_mixed.lua http://127.0.0.1:19090/verify
	echo "  answers of the mixed run (from /metrics): $(awk -v b="$before" -v a="$(results)" 'BEGIN { split(b, x); split(a, y); printf "valid %d, invalid %d", y[1] - x[1], y[2] - x[2] }')"
fi
if has cold; then
	# The first touch of each key: a restart with no warm-up reads every key
	# from the store; a restart with the warm-up (the default) has loaded
	# them in the background, so its run is the warm rate of the same keys.
	stop_keygate
	start_keygate KEYGATE_WARM_KEYS=0
	run verify-first-touch-cold -s bench/verify_first_touch.lua http://127.0.0.1:19090/verify
	stop_keygate
	start_keygate
	echo "restarted with the warm-up:"
	warmed
	run verify-first-touch-warmed -s bench/verify_first_touch.lua http://127.0.0.1:19090/verify
fi

if has proxy; then
	awk -v g="${RPS[gateway-valid-key]}" -v b="${RPS[bare-proxy]}" -v p="${RPS[bare-proxy-pooled]}" \
		'BEGIN { printf "\ngateway (valid key) / bare proxy: %.2f\ngateway (valid key) / bare proxy with a buffer pool: %.2f\n", g / b, g / p }'
fi
if has mixed; then
	awk -v m="${RPS[verify-mixed]}" -v v="${RPS[verify-valid-key]}" 'BEGIN { printf "verify mixed / one valid key: %.2f\n", m / v }'
fi
if has cold; then
	awk -v c="${RPS[verify-first-touch-cold]}" -v w="${RPS[verify-first-touch-warmed]}" \
		'BEGIN { printf "first touch of each key, cold cache / after the warm-up: %.2f\n", c / w }'
fi
echo "(${THREADS} wrk threads, ${CONNS} connections, ${DURATION} per scenario, all on this machine's $(nproc) cores)"
