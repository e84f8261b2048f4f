package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/keygate/keygate"
)

// shutdownTimeout bounds how long serve waits for requests in flight when
// asked to stop.
const shutdownTimeout = 10 * time.Second

// surface is one of the four listeners.
type surface struct {
	name    string
	addr    string
	handler http.Handler
}

// runServe opens the store and serves every surface until ctx ends (SIGINT
// or SIGTERM), then drains requests in flight and closes the store.
func runServe(ctx context.Context, e *env, args []string) error {
	c := newCommand(e, "serve", "[flags]").withAddrs()
	if _, err := c.parse(args, 0); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, nil))
	store, applied, err := openStore(ctx, &c.cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	if len(applied) > 0 {
		logger.Info("applied migrations", "versions", applied)
	}
	health := healthHandler(store)
	surfaces := []surface{
		{"live API", c.cfg.LiveAPIAddr, health},
		{"sandbox API", c.cfg.SandboxAPIAddr, health},
		{"live dashboard", c.cfg.LiveDashboardAddr, health},
		{"sandbox dashboard", c.cfg.SandboxDashboardAddr, health},
	}
	return serveAll(ctx, logger, e, surfaces)
}

// serveAll listens on every surface first, so that a taken address fails
// the start before anything is served, then serves them all until ctx ends
// or one fails.
func serveAll(ctx context.Context, logger *slog.Logger, e *env, surfaces []surface) error {
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for _, s := range surfaces {
		l, err := net.Listen("tcp", s.addr)
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		listeners = append(listeners, l)
		fmt.Fprintf(e.stderr, "keygate: %s listening on http://%s\n", s.name, l.Addr())
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, len(surfaces))
	var wg sync.WaitGroup
	for i, s := range surfaces {
		srv := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
		wg.Add(2)
		go func() {
			defer wg.Done()
			if err := srv.Serve(listeners[i]); !errors.Is(err, http.ErrServerClosed) {
				errs <- fmt.Errorf("%s: %w", s.name, err)
				cancel()
			}
		}()
		go func() {
			defer wg.Done()
			<-ctx.Done()
			sctx, scancel := context.WithTimeout(context.Background(), shutdownTimeout)
			defer scancel()
			srv.Shutdown(sctx)
		}()
	}
	<-ctx.Done()
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	fmt.Fprintln(e.stderr, "keygate: stopped")
	return nil
}

// healthHandler serves /healthz (the process is up) and /readyz (the store
// answers).
func healthHandler(store keygate.Store) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := store.Ping(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "store unreachable")
			return
		}
		fmt.Fprintln(w, "ok")
	})
	return mux
}
