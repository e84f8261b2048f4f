// Command writes measures key changes per second: -clients goroutines,
// spread over -nodes nodes (each a keygate.Service over its own connection
// pool to one database, as separate processes would be), each changing its
// own keys (a new description each time: a write of the key, its event and
// its change-feed row) for -duration. It then reads the change feed from
// where it began and checks that it holds every change exactly once, in
// increasing sequence. It prints one line per figure for
// docs/performance.md.
//
//	go run ./bench/writes -postgres 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable' -nodes 3 -clients 16
//	go run ./bench/writes -nodes 1 -clients 16                # SQLite in a temporary directory
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/bench/internal/benchdb"
)

func main() {
	nodes := flag.Int("nodes", 3, "how many nodes (connection pools) share the database")
	clients := flag.Int("clients", 16, "how many clients change keys at once, spread over the nodes")
	perClient := flag.Int("keys", 4, "how many keys each client changes in turn")
	duration := flag.Duration("duration", 10*time.Second, "how long to measure")
	pgURL := flag.String("postgres", "", "PostgreSQL URL; unset for SQLite")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the measured part to this file")
	flag.Parse()
	ctx := context.Background()

	open, cleanup := must2(benchdb.Opener(ctx, *pgURL, "writes"))
	defer cleanup()
	svcs := make([]*app.Service, *nodes)
	for i := range svcs {
		svcs[i] = &app.Service{Store: must(open()), Now: time.Now}
		defer svcs[i].Store.Close()
	}
	acc := must(svcs[0].CreateAccount(ctx, keygate.AccountCreate{Environment: keygate.Live, Name: "Writes"}))
	sc := app.AccountScope(acc.ID)
	keys := make([][]string, *clients)
	for c := range keys {
		for range *perClient {
			k, _ := must2(svcs[0].CreateAPIKey(ctx, sc, acc.ID, keygate.APIKeyCreate{Name: "k", Permissions: []keygate.Permission{"product.read"}}))
			keys[c] = append(keys[c], k.ID)
		}
	}
	settle(ctx, svcs)
	start := lastSeq(ctx, svcs[0].Store)

	var changes, failures atomic.Int64
	var wg sync.WaitGroup
	stopProfile := must(benchdb.StartCPUProfile(*cpuProfile))
	cpu0 := must(benchdb.ReadCPU(ctx, *pgURL, "writes"))
	began := time.Now()
	deadline := began.Add(*duration)
	for c := range *clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			svc := svcs[c%*nodes]
			for i := 0; time.Now().Before(deadline); i++ {
				desc := fmt.Sprintf("change %d of client %d", i, c)
				if _, err := svc.UpdateAPIKey(ctx, sc, keys[c][i%len(keys[c])], keygate.APIKeyUpdate{Description: &desc}); err != nil {
					failures.Add(1)
					log.Print(err)
					continue
				}
				changes.Add(1)
			}
		}()
	}
	wg.Wait()
	settle(ctx, svcs) // every change numbered: the writers don't wait for it
	elapsed := time.Since(began)
	cpu := must(benchdb.ReadCPU(ctx, *pgURL, "writes")).Sub(cpu0)
	stopProfile()
	n := changes.Load()
	fmt.Printf("engine: %s, nodes: %d, clients: %d, keys: %d\n", benchdb.Engine(*pgURL), *nodes, *clients, *clients**perClient)
	fmt.Printf("key changes: %d in %v: %.0f/s (%d failed)\n", n, elapsed.Round(time.Millisecond),
		float64(n)/elapsed.Seconds(), failures.Load())
	if n > 0 {
		fmt.Printf("CPU per key change: %v (bench process %v, server backends %v): at most %.0f/s per core\n",
			(cpu.Total() / time.Duration(n)).Round(time.Microsecond), (cpu.Self / time.Duration(n)).Round(time.Microsecond),
			(cpu.Server / time.Duration(n)).Round(time.Microsecond), float64(n)/cpu.Total().Seconds())
	}
	checkFeed(ctx, svcs[len(svcs)-1].Store, start, changes.Load())
}

// checkFeed reads the feed after start page by page, as a node does, and
// checks that it holds want changes in increasing sequence.
func checkFeed(ctx context.Context, store keygate.Store, start, want int64) {
	seq, n := start, int64(0)
	for {
		var page []keygate.Change
		must0(store.View(ctx, func(tx keygate.Tx) (err error) {
			page, err = tx.FindChanges(ctx, seq, 1000)
			return err
		}))
		for _, c := range page {
			if c.Seq <= seq {
				log.Fatalf("change feed out of order: %d after %d", c.Seq, seq)
			}
			seq = c.Seq
			n++
		}
		if len(page) < 1000 {
			break
		}
	}
	if n != want {
		log.Fatalf("change feed: %d changes, want %d", n, want)
	}
	fmt.Printf("change feed: all %d changes, each once, in increasing sequence\n", n)
}

// settle waits until each node has numbered the changes its writers
// committed (sqlstore's Settle), where the store numbers them after
// commit.
func settle(ctx context.Context, svcs []*app.Service) {
	for _, svc := range svcs {
		if s, ok := svc.Store.(interface{ Settle(context.Context) error }); ok {
			must0(s.Settle(ctx))
		}
	}
}

func lastSeq(ctx context.Context, store keygate.Store) int64 {
	var seq int64
	must0(store.View(ctx, func(tx keygate.Tx) (err error) {
		seq, err = tx.LastChangeSeq(ctx)
		return err
	}))
	return seq
}

func must[T any](v T, err error) T {
	must0(err)
	return v
}

func must2[T, U any](v T, w U, err error) (T, U) {
	must0(err)
	return v, w
}

func must0(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
