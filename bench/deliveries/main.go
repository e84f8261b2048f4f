// Command deliveries measures webhook deliveries: it makes -events events
// through keygate's use cases (the layer the API calls: each a key
// created, whose api_key.created event goes to one webhook destination)
// with a receiver on loopback that answers at once, and prints deliveries
// per second and the event-to-delivery latency (the event's occurred_at to
// the receiver's arrival). Two runs: "live" makes the events with the
// dispatcher running (-clients producers at once, -rate events a second
// at most, 0 for as fast as they go); "backlog" makes them first and then
// starts the dispatcher, which measures its own capacity whatever the rate
// events can be made at.
//
//	go run ./bench/deliveries -events 5000                      # SQLite in a temporary directory
//	go run ./bench/deliveries -events 5000 -postgres 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/bench/internal/benchdb"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/notify"
	"github.com/keygate/keygate/wire"
)

func main() {
	events := flag.Int("events", 5000, "how many events to deliver in each run")
	clients := flag.Int("clients", 8, "how many producers make events at once")
	rate := flag.Int("rate", 0, "events a second at most in the live run; 0 for as fast as they can be made")
	perDest := flag.Int("per-destination", 0, "deliveries in flight to the destination at once; 0 for the dispatcher's default")
	pgURL := flag.String("postgres", "", "PostgreSQL URL; unset for SQLite")
	only := flag.String("run", "", "live or backlog: that run only; unset for both")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of both runs to this file")
	flag.Parse()
	stop := must(benchdb.StartCPUProfile(*cpuProfile))
	defer stop()
	for _, backlog := range []bool{false, true} {
		if *only == "" || (*only == "backlog") == backlog {
			run(*pgURL, *events, *clients, *rate, *perDest, backlog)
		}
	}
}

// receiver keeps the latency of each delivery it gets.
type receiver struct {
	mu       sync.Mutex
	lat      []time.Duration
	got      atomic.Int64
	last     atomic.Int64 // Unix nanoseconds of the last arrival
	complete chan struct{}
	want     int64
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now()
	body, _ := io.ReadAll(r.Body)
	var hook wire.Webhook
	if err := json.Unmarshal(body, &hook); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	rc.lat = append(rc.lat, arrived.Sub(time.Time(hook.OccurredAt)))
	rc.mu.Unlock()
	rc.last.Store(arrived.UnixNano())
	if rc.got.Add(1) == rc.want {
		close(rc.complete)
	}
}

func run(pgURL string, events, clients, rate, perDest int, backlog bool) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opener, cleanup := must2(benchdb.Opener(ctx, pgURL, "deliveries"))
	store := must(opener())
	defer cleanup()
	defer store.Close()
	sealer := must(credential.NewSealer(credential.NewSealKey()))
	loopback := must(keygate.ParseAddressPolicy("127.0.0.0/8,::1"))
	d := notify.NewDispatcher(notify.Config{Store: store, Sealer: sealer, AddressPolicy: loopback, PerDestination: perDest})
	svc := &app.Service{Store: store, Now: time.Now, Sealer: sealer, Wake: d.Wake, AddressPolicy: loopback}
	rc := &receiver{complete: make(chan struct{}), want: int64(events)}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	acc := must(svc.CreateAccount(ctx, keygate.AccountCreate{Environment: keygate.Live, Name: "Deliveries"}))
	sc := app.AccountScope(acc.ID)
	must(svc.CreateNotificationSetting(ctx, sc, acc.ID, keygate.NotificationSettingCreate{
		Description: "bench", Type: keygate.DestinationURL, Destination: srv.URL, SubscribedEvents: []keygate.EventType{keygate.EventAPIKeyCreated},
	}))
	dispatched := make(chan struct{})
	startDispatcher := func() {
		go func() {
			defer close(dispatched)
			d.Run(ctx)
		}()
	}
	if !backlog {
		startDispatcher()
	}
	cpu0 := must(benchdb.ReadCPU(ctx, pgURL, "deliveries"))
	began := time.Now()
	produce(ctx, svc, sc, acc.ID, events, clients, rate, backlog)
	made := time.Since(began)
	if backlog {
		rc.mu.Lock()
		rc.lat = rc.lat[:0]
		rc.mu.Unlock()
		cpu0 = must(benchdb.ReadCPU(ctx, pgURL, "deliveries"))
		began = time.Now()
		startDispatcher()
	}
	select {
	case <-rc.complete:
	case <-time.After(10 * time.Minute):
		log.Fatalf("only %d of %d delivered", rc.got.Load(), events)
	}
	elapsed := time.Unix(0, rc.last.Load()).Sub(began)
	cpu := must(benchdb.ReadCPU(ctx, pgURL, "deliveries")).Sub(cpu0)
	name := "live"
	if backlog {
		name = "backlog"
	}
	fmt.Printf("%s, %s: %d events made in %v (%.0f/s); delivered in %v: %.0f deliveries/s", benchdb.Engine(pgURL), name, events,
		made.Round(time.Millisecond), float64(events)/made.Seconds(), elapsed.Round(time.Millisecond), float64(events)/elapsed.Seconds())
	if !backlog {
		rc.mu.Lock()
		lat := slices.Clone(rc.lat)
		rc.mu.Unlock()
		slices.Sort(lat)
		fmt.Printf("; event to delivery p50 %v, p99 %v, max %v", lat[len(lat)/2].Round(time.Millisecond),
			lat[len(lat)*99/100].Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond))
	}
	what := "delivery (the dispatcher and the receiver)"
	if !backlog {
		what = "event made and delivered"
	}
	fmt.Printf("\n  CPU per %s: %v (this process %v, server backends %v), so at most %.0f/s per core\n", what,
		(cpu.Total() / time.Duration(events)).Round(time.Microsecond), (cpu.Self / time.Duration(events)).Round(time.Microsecond),
		(cpu.Server / time.Duration(events)).Round(time.Microsecond), float64(events)/cpu.Total().Seconds())
	cancel()
	<-dispatched
}

// produce makes n events (keys created) from clients producers, at most
// rate a second if rate > 0.
func produce(ctx context.Context, svc *app.Service, sc app.Scope, accountID string, n, clients, rate int, quiet bool) {
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				if rate > 0 {
					time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(rate))))
				}
				if _, _, err := svc.CreateAPIKey(ctx, sc, accountID, keygate.APIKeyCreate{Name: "k", Permissions: []keygate.Permission{"product.read"}}); err != nil {
					log.Fatal(err)
				}
			}
		}()
	}
	wg.Wait()
}

func must[T any](v T, err error) T {
	if err != nil {
		log.Fatal(err)
	}
	return v
}

func must2[T, U any](v T, w U, err error) (T, U) {
	if err != nil {
		log.Fatal(err)
	}
	return v, w
}
