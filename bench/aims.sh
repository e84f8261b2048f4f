#!/usr/bin/env bash
# Runs, one after another in one run, the measurements behind each
# performance aim of docs/performance.md ("Where each aim stands"), and
# prints each figure as its command printed it. About five minutes.
#
#   bash bench/aims.sh                                   # SQLite only
#   POSTGRES='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' bash bench/aims.sh
#   BEFORE=<rev> bash bench/aims.sh                      # also a miss at <rev>, alternating
#
# BEFORE builds the auth package's tests at that revision (in a temporary
# worktree, with this tree's miss benchmark when the revision's own lacks
# it) and runs the two miss benchmarks alternately, three times each.
# Needs hyperfine for the `keygate help` figure (Debian: apt-get install
# hyperfine); the rest needs only Go.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'git worktree remove --force "$work/before" 2>/dev/null || true; rm -rf "$work"' EXIT
pg=${POSTGRES:-}
engines=("")
[[ -n $pg ]] && engines+=("$pg")
say() { printf '\n== %s\n' "$*"; }

go build -o "$work/keygate" ./cmd/keygate
go build -o "$work/deliveries" ./bench/deliveries
go build -o "$work/start" ./bench/start
go build -o "$work/scale" ./bench/scale
go test -c -o "$work/auth.test" ./auth

say "hot path: BenchmarkAuthenticateHit against BenchmarkHashFloor (x-floor at most 1.6, 0 allocations)"
(cd auth && "$work/auth.test" -test.run '^$' -test.bench 'BenchmarkHashFloor|BenchmarkAuthenticateHit$' -test.count 3 | grep -E '^Benchmark')

say "a cache miss (cpu-ns/op: this process's CPU a miss)"
if [[ -n ${BEFORE:-} ]]; then
  git worktree add -q --detach "$work/before" "$BEFORE"
  if ! grep -q 'cpu-ns/op' "$work/before/auth/bench_test.go" 2>/dev/null; then
    # An older revision: the miss benchmark as it was first made to report
    # CPU (21254fe), with the key generator's signature of that revision.
    git show 21254fe:auth/bench_test.go >"$work/before/auth/bench_test.go"
    if ! grep -qE 'func NewAPIKey\([a-z]+ string' "$work/before/credential/generate.go"; then
      sed -i 's/credential.NewAPIKey("", /credential.NewAPIKey(/' "$work/before/auth/bench_test.go"
    fi
  fi
  (cd "$work/before" && go test -c -o "$work/auth.before" ./auth)
  for _ in 1 2 3; do
    printf 'before %s: ' "$BEFORE"; (cd "$work/before/auth" && KEYGATE_TEST_POSTGRES_URL=$pg "$work/auth.before" -test.run '^$' -test.bench AuthenticateMiss -test.benchtime 20000x | grep -E '^Benchmark' | tr '\n' ' '); echo
    printf 'after: '; (cd auth && KEYGATE_TEST_POSTGRES_URL=$pg "$work/auth.test" -test.run '^$' -test.bench AuthenticateMiss -test.benchtime 20000x | grep -E '^Benchmark' | tr '\n' ' '); echo
  done
else
  (cd auth && KEYGATE_TEST_POSTGRES_URL=$pg "$work/auth.test" -test.run '^$' -test.bench AuthenticateMiss -test.benchtime 20000x -test.count 3 | grep -E '^Benchmark')
fi

if [[ -n $pg ]]; then
  say "key changes on PostgreSQL: 16 clients over 3 nodes (at least 1,000/s, every change in the feed once, in order)"
  go run ./bench/writes -postgres "$pg" -nodes 3 -clients 16 -duration 15s | tail -3
fi

for e in "${engines[@]}"; do
  flag=(); [[ -n $e ]] && flag=(-postgres "$e")
  say "deliveries on ${e:+PostgreSQL}${e:-SQLite}: 5,000 events at 1,000/s (p50 at most 100 ms, p99 at most 1 s), then a backlog"
  "$work/deliveries" -events 5000 -rate 1000 -run live "${flag[@]}"
  "$work/deliveries" -events 5000 -run backlog "${flag[@]}"
done

say "keygate help (under 50 ms)"
if command -v hyperfine >/dev/null; then
  hyperfine -N --warmup 3 "$work/keygate help" 2>&1 | grep -E 'Time|Range'
else
  echo "hyperfine is not installed"
fi

say "serve to /readyz (under 100 ms)"
"$work/start" -bin "$work/keygate" -runs 10 | tail -1

say "heap a cached key (at most 300 bytes), 200,000 keys on SQLite"
"$work/scale" -keys 200000 -misses 2000 | grep -iE 'bytes|heap'
