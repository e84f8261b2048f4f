package main

import (
	"context"
	"fmt"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/auth"
	"github.com/keygate/keygate/credential"
)

// touchAll gives every key a last use, the first key the most recent, as
// nodes that served them would have written.
func touchAll(ctx context.Context, store keygate.Store, tokens []string) {
	start := time.Now()
	now := start.UTC()
	for i := 0; i < len(tokens); i += 5000 {
		var uses []keygate.LastUse
		for j := i; j < min(i+5000, len(tokens)); j++ {
			tok := must(credential.Parse(tokens[j]))
			uses = append(uses, keygate.LastUse{ID: "apikey_" + tok.ID, At: now.Add(-time.Duration(j) * time.Millisecond), Requests: 1})
		}
		must0(store.Update(ctx, func(tx keygate.Tx) error { return tx.TouchAPIKeys(ctx, uses) }))
	}
	fmt.Printf("wrote a last use for %d keys in %v\n", len(tokens), time.Since(start).Round(time.Millisecond))
}

// measureWarm starts a verifier that warms its cache with every key, and
// reports how long that took, what it cost in memory, and what a sample of
// first requests cost after it.
func measureWarm(ctx context.Context, open func() (keygate.Store, error), tokens []string, sample int) {
	store := must(open())
	defer store.Close()
	before := heap()
	cpu0 := cpuTime()
	start := time.Now()
	v := auth.New(auth.Config{Store: store, FlushInterval: time.Hour, WarmKeys: len(tokens), WarmTime: 10 * time.Minute})
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go v.Run(runCtx)
	<-v.WarmDone()
	took, cpu := time.Since(start), cpuTime()-cpu0
	after := heap()
	fmt.Printf("warm-up: %d of %d keys cached in %v (%.0f keys/s; CPU %v), heap +%.1f MiB (%.0f bytes a key)\n",
		v.Warmed(), len(tokens), took.Round(time.Millisecond), float64(v.Warmed())/took.Seconds(), cpu.Round(time.Millisecond),
		float64(after-before)/(1<<20), float64(after-before)/float64(max(1, v.Warmed())))
	sample = min(sample, len(tokens))
	step := max(1, len(tokens)/sample)
	t := time.Now()
	misses := storeReads(v)
	for i := 0; i < len(tokens); i += step {
		if _, err := v.Authenticate(ctx, keygate.Live, "Bearer "+tokens[i], 0); err != nil {
			panic(err)
		}
	}
	fmt.Printf("then the first request of %d keys spread over all: mean %v a key, %d store reads\n", len(tokens)/step,
		(time.Since(t) / time.Duration(len(tokens)/step)).Round(time.Nanosecond), storeReads(v)-misses)
}

// cpuTime returns the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	must0(syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// storeReads returns the verifier's cache misses so far (its
// keygate_auth_cache_lookups_total{outcome="miss"}).
func storeReads(v *auth.Verifier) int {
	reg := prometheus.NewRegistry()
	reg.MustRegister(v.Metrics.Collectors()...)
	families := must(reg.Gather())
	for _, f := range families {
		if f.GetName() != "keygate_auth_cache_lookups_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" && l.GetValue() == "miss" {
					return int(m.GetCounter().GetValue())
				}
			}
		}
	}
	return 0
}
