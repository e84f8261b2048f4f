// Command scale measures keygate with many keys: it seeds a store with
// -keys API keys through a bulk path (batched transactions, no API call per
// key), then measures the time from start to ready, the latency of a cache
// miss, and the memory each cached key takes. It prints one line per figure
// for docs/performance.md.
//
//	go run ./bench/scale -keys 1000000                       # SQLite in a temporary directory
//	go run ./bench/scale -keys 1000000 -postgres postgres://postgres@127.0.0.1:5432/test?sslmode=disable
//
// With -warm it measures the warm-up of a starting node instead: every key
// is given a last use, then a verifier starts with WarmKeys set to -keys,
// and the time until its warm-up ends, the keys it cached and a sample of
// first requests are reported.
//
//	go run ./bench/scale -keys 1000000 -warm
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"runtime"
	"slices"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/auth"
	"github.com/keygate/keygate/bench/internal/benchdb"
	"github.com/keygate/keygate/credential"
)

func main() {
	n := flag.Int("keys", 1_000_000, "how many keys to seed")
	misses := flag.Int("misses", 20_000, "how many cache misses to time")
	cached := flag.Int("cached", 0, "how many keys to cache to measure memory; 0 for every key not yet used")
	pgURL := flag.String("postgres", "", "PostgreSQL URL; unset for SQLite")
	warm := flag.Bool("warm", false, "measure the warm-up of the cache at start instead")
	flag.Parse()
	ctx := context.Background()
	// Keep half the keys unused for the memory measurement.
	*misses = min(*misses, *n/2)

	open, cleanup := must2(benchdb.Opener(ctx, *pgURL, "scale"))
	defer cleanup()
	store := must(open())
	tokens := seed(ctx, store, *n)
	if *warm {
		touchAll(ctx, store, tokens)
		store.Close()
		measureWarm(ctx, open, tokens, *misses)
		return
	}
	store.Close()

	fmt.Printf("engine: %s, keys: %d\n", benchdb.Engine(*pgURL), *n)
	// Start three times: the first start after a bulk insert meets a cold
	// cache (and, on PostgreSQL, autovacuum at work).
	var store2 keygate.Store
	var v *auth.Verifier
	var stop context.CancelFunc
	for i := range 3 {
		if store2 != nil {
			stop()
			store2.Close()
		}
		start := time.Now()
		store2 = must(open())
		v = auth.New(auth.Config{Store: store2, FlushInterval: time.Hour}) // no flush of a million last uses during the measurement
		var runCtx context.Context
		runCtx, stop = context.WithCancel(ctx)
		go v.Run(runCtx)
		for !v.Started() {
			time.Sleep(100 * time.Microsecond)
		}
		fmt.Printf("start to ready, start %d (open the store, follow the change feed): %v\n", i+1, time.Since(start).Round(time.Microsecond))
	}
	store = store2
	timeMisses(ctx, v, tokens, *misses)
	memoryPerKey(ctx, v, tokens[*misses:], *cached)
	stop()
	store.Close()
}

// seed inserts n keys in transactions of 5,000 and returns their tokens.
func seed(ctx context.Context, store keygate.Store, n int) []string {
	start := time.Now()
	now := time.Now().UTC().Truncate(time.Microsecond)
	acc := &keygate.Account{ID: credential.NewID("acc", now), Environment: keygate.Live, Name: "Scale", CreatedAt: now, UpdatedAt: now}
	must0(store.Update(ctx, func(tx keygate.Tx) error { return tx.CreateAccount(ctx, acc) }))
	tokens := make([]string, 0, n)
	exp := now.AddDate(1, 0, 0)
	perms := []keygate.Permission{"product.read"}
	for len(tokens) < n {
		must0(store.Update(ctx, func(tx keygate.Tx) error {
			for i := 0; i < 5000 && len(tokens) < n; i++ {
				k := credential.NewAPIKey("", credential.EnvLive, now)
				if err := tx.CreateAPIKey(ctx, &keygate.APIKey{ID: k.EntityID, AccountID: acc.ID, Environment: keygate.Live, Name: "k",
					Status: keygate.APIKeyActive, Permissions: perms, SecretHash: k.Hash[:], ExpiresAt: &exp, CreatedAt: now, UpdatedAt: now}); err != nil {
					return err
				}
				tokens = append(tokens, k.Token)
			}
			return nil
		}))
	}
	fmt.Printf("seeded %d keys in %v\n", n, time.Since(start).Round(time.Millisecond))
	return tokens
}

// timeMisses authenticates m keys never seen before, one after another.
func timeMisses(ctx context.Context, v *auth.Verifier, tokens []string, m int) {
	d := make([]time.Duration, m)
	for i := range m {
		t := time.Now()
		if _, err := v.Authenticate(ctx, keygate.Live, "Bearer "+tokens[i], 0); err != nil {
			log.Fatal(err)
		}
		d[i] = time.Since(t)
	}
	slices.Sort(d)
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	fmt.Printf("cache miss (a key read from the store): mean %v, p50 %v, p99 %v over %d keys\n",
		(sum / time.Duration(m)).Round(time.Microsecond), d[m/2].Round(time.Microsecond), d[m*99/100].Round(time.Microsecond), m)
}

// memoryPerKey caches k more keys and reports the heap they added.
func memoryPerKey(ctx context.Context, v *auth.Verifier, tokens []string, k int) {
	if k <= 0 || k > len(tokens) {
		k = len(tokens)
	}
	before := heap()
	for _, t := range tokens[:k] {
		if _, err := v.Authenticate(ctx, keygate.Live, "Bearer "+t, 0); err != nil {
			log.Fatal(err)
		}
	}
	after := heap()
	// The tokens must outlive the measurement: were they collected in
	// between, their memory would be subtracted from the cache's.
	runtime.KeepAlive(tokens)
	grown := int64(after) - int64(before)
	fmt.Printf("memory per cached key: %d bytes (%d keys cached, heap %+.1f MiB)\n", grown/int64(k), v.Cached(), float64(grown)/(1<<20))
}

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func must[T any](v T, err error) T {
	must0(err)
	return v
}

func must0(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

func must2[T, U any](v T, w U, err error) (T, U) {
	if err != nil {
		log.Fatal(err)
	}
	return v, w
}
