package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/api"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/auth"
	"github.com/keygate/keygate/dashboard"
	"github.com/keygate/keygate/gateway"
	"github.com/keygate/keygate/notify"
	"github.com/keygate/keygate/postgres"
	"github.com/keygate/keygate/secretscan"
)

// shutdownTimeout bounds how long serve waits for requests in flight when
// asked to stop.
const shutdownTimeout = 10 * time.Second

// userMailInterval is how often e-mails to accounts' users (about
// exposures) are looked for when nothing wakes the sender: an exposure
// reported to this node wakes it at once, so the poll only finds retries
// (due minutes apart) and e-mails a failed node left; an idle node does not
// query the database for them every few seconds.
const userMailInterval = 30 * time.Second

// surface is one listener: its name, address, and the handler to serve
// once the address is bound (the API needs its own URL for links).
type surface struct {
	name    string
	addr    string
	handler func(l net.Listener) http.Handler
	// bound, if set, receives the listener's address before any handler is
	// made, so that one surface can link to another.
	bound *string
}

// runServe opens the store and serves every surface until ctx ends (SIGINT
// or SIGTERM), then drains requests in flight, writes pending last uses and
// closes the store.
func runServe(ctx context.Context, e *env, args []string) error {
	c := newCommand(e, "serve", "[flags]").withAddrs()
	if _, err := c.parse(args, 0); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: c.cfg.logLevel}))
	store, applied, err := openStore(ctx, &c.cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	if len(applied) > 0 {
		logger.Info("applied migrations", "versions", applied)
	}

	sealer, madeKey, err := loadSealer(&c.cfg)
	if err != nil {
		return fmt.Errorf("KEYGATE_ENCRYPTION_KEY: %w", err)
	}
	if madeKey {
		logger.Warn("made a new key to seal webhook secrets; back it up, and give every node the same key with KEYGATE_ENCRYPTION_KEY", "file", filepath.Join(c.cfg.DataDir, keyFileName))
	}
	var shared *api.SharedLimits
	nodeID := auth.NewNodeID()
	if counter, ok := store.(keygate.RequestCounter); ok && c.cfg.rateLimit > 0 {
		shared = api.NewSharedLimits(counter, 0, logger)
		nodeID = shared.Node() // one node, whether it counts IPs or keys
	}
	var svc *app.Service
	verifier := auth.New(auth.Config{Store: store, Logger: logger, DocsURL: c.cfg.DocsURL, KeyPrefix: c.cfg.KeyPrefix,
		WarmKeys: c.cfg.warmKeys, WarmTime: c.cfg.warmTime,
		CompleteRotation: func(ctx context.Context, keyID, rotationID string) error {
			_, err := svc.CompleteRotation(ctx, keyID, rotationID)
			return err
		},
		SpendCredits: func(ctx context.Context, spends []keygate.CreditSpend) ([]keygate.CreditBalance, error) {
			return svc.SpendCredits(ctx, spends)
		},
		NodeID: nodeID, TrustedProxies: c.cfg.trusted,
	})
	dispatcher := notify.NewDispatcher(notify.Config{
		Store: store, Sealer: sealer, Mailer: c.cfg.mailer, Lease: c.cfg.lease, Logger: logger, AddressPolicy: c.cfg.addressPolicy,
		PerDestination: c.cfg.perDestination,
		Schedules: map[keygate.Environment]keygate.RetrySchedule{
			keygate.Live:    schedule(keygate.LiveRetries, c.cfg.retryBase, c.cfg.liveRetries),
			keygate.Sandbox: schedule(keygate.SandboxRetries, c.cfg.retryBase, c.cfg.sdbxRetries),
		},
	})
	userMailer := &notify.UserMailer{Store: store, Mailer: c.cfg.mailer, Logger: logger, Lease: c.cfg.lease}
	svc = app.New(store)
	userMailWake := make(chan struct{}, 1)
	wake := func() {
		dispatcher.Wake()
		select {
		case userMailWake <- struct{}{}:
		default:
		}
	}
	svc.Changed, svc.Wake, svc.Sealer = verifier.Invalidate, wake, sealer
	if ok, err := svc.SealerOpensSecrets(ctx); err != nil {
		logger.Warn("could not check KEYGATE_ENCRYPTION_KEY against the stored webhook secrets", "err", err)
	} else if !ok {
		logger.Error("KEYGATE_ENCRYPTION_KEY differs from the key that sealed the stored webhook secrets: this node can't sign webhooks; give every node the same key")
	}
	svc.AddressPolicy, svc.HashBudget = c.cfg.addressPolicy, c.cfg.hashBudget
	svc.KeyPrefix = c.cfg.KeyPrefix
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	registry.MustRegister(verifier.Metrics.Collectors()...)
	registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "keygate_auth_warmed_keys", Help: "API keys the warm-up at start has loaded into the cache (KEYGATE_WARM_KEYS).",
	}, func() float64 { return float64(verifier.Warmed()) }))
	registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "keygate_auth_warm_up_done", Help: "1 once the warm-up of the cache at start has ended (or is off), else 0.",
	}, func() float64 {
		select {
		case <-verifier.WarmDone():
			return 1
		default:
			return 0
		}
	}))
	apiMetrics := api.NewMetrics()
	registry.MustRegister(apiMetrics.Collectors()...)
	registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "keygate_notify_failed_attempts_total", Help: "Delivery attempts that failed (each is logged with its notification, destination and reason).",
	}, func() float64 { return float64(dispatcher.FailedAttempts.Load()) }))
	if pg, ok := store.(*postgres.DB); ok {
		pg.Logger = logger
		registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "keygate_postgres_listen_errors_total", Help: "Failures of the LISTEN connection that pushes changes (polling covers them).",
		}, func() float64 { return float64(pg.ListenErrors.Load()) }))
	}

	background := []func(context.Context){
		dispatcher.Run,
		func(ctx context.Context) {
			every(ctx, c.cfg.expiryScan, nil, logger, "expiry scan", svc.NotifyExpiries)
		},
		func(ctx context.Context) {
			every(ctx, userMailInterval, userMailWake, logger, "user e-mails", userMailer.SendDue)
		},
		func(ctx context.Context) {
			every(ctx, auditPruneInterval, nil, logger, "audit retention", func(ctx context.Context) (int, error) {
				return svc.PruneAuditLog(ctx, svc.Now().Add(-c.cfg.auditRetention), 0)
			})
		},
	}
	if shared != nil {
		background = append(background, shared.Run)
	}
	githubKeys := &secretscan.GitHubKeys{URL: c.cfg.GitHubScanningKeysURL, File: c.cfg.GitHubScanningKeysFile}
	apiSurface := func(env keygate.Environment, publicURL string) func(net.Listener) http.Handler {
		return func(l net.Listener) http.Handler {
			if publicURL == "" {
				publicURL = "http://" + l.Addr().String()
			}
			cfg := api.Config{
				Environment: env, BaseURL: publicURL, DocsURL: c.cfg.DocsURL, RateLimit: c.cfg.rateLimit,
				SharedLimits: shared, TrustedProxies: c.cfg.trusted, Logger: logger,
				GitHubKeys: githubKeys, GitLabToken: c.cfg.GitLabRevocationToken,
			}
			if upstream := c.cfg.upstreams[env]; upstream != nil {
				cfg.Gateway = gateway.New(gateway.Config{
					Environment: env, Upstream: upstream, Routes: c.cfg.routes, Verifier: verifier, TrustedProxies: c.cfg.trusted,
					Timeout: c.cfg.upstreamTimeout, DocsURL: c.cfg.DocsURL, Logger: logger,
				})
			}
			return api.NewServer(cfg, svc, verifier, apiMetrics)
		}
	}
	// Each dashboard links to the other environment's (the header's
	// sandbox/live switch), at its public URL or else its bound address.
	dashboardURLs := map[keygate.Environment]*string{keygate.Live: &c.cfg.LiveDashboardURL, keygate.Sandbox: &c.cfg.SandboxDashboardURL}
	dashboardAddrs := map[keygate.Environment]*string{keygate.Live: new(string), keygate.Sandbox: new(string)}
	dashboardURL := func(env keygate.Environment) string {
		if u := *dashboardURLs[env]; u != "" {
			return strings.TrimSuffix(u, "/")
		}
		return "http://" + *dashboardAddrs[env]
	}
	dashboardSurface := func(env keygate.Environment) func(net.Listener) http.Handler {
		return func(l net.Listener) http.Handler {
			publicURL := dashboardURL(env)
			other := keygate.Live
			if env == keygate.Live {
				other = keygate.Sandbox
			}
			d := dashboard.NewServer(dashboard.Config{
				Environment: env, Secure: strings.HasPrefix(publicURL, "https://"), Logger: logger,
				PayoutSettingsURL: c.cfg.PayoutSettingsURL, RetainSettingsURL: c.cfg.RetainSettingsURL,
				AllowMagicWithoutOrigin: c.cfg.MagicAllowNoReferer == "true",
				TrustedProxies:          c.cfg.trusted,
				OtherDashboardURL:       dashboardURL(other),
			}, svc)
			// Printed at every start while this environment has no user.
			if hasUsers, err := svc.HasUsers(ctx, env); err != nil {
				logger.Error("count users", "environment", env, "err", err)
			} else if !hasUsers {
				if token, err := d.NewSetupToken(ctx); err != nil {
					logger.Error("make a set-up link", "environment", env, "err", err)
				} else {
					fmt.Fprintf(e.stderr, "keygate: no user yet: set up the %s environment at %s/setup?token=%s (valid %v, once, on any node)\n",
						env, strings.TrimSuffix(publicURL, "/"), token, dashboard.SetupLifetime)
				}
			}
			return d
		}
	}
	surfaces := []surface{
		{"live API", c.cfg.LiveAPIAddr, apiSurface(keygate.Live, c.cfg.LiveAPIURL), nil},
		{"sandbox API", c.cfg.SandboxAPIAddr, apiSurface(keygate.Sandbox, c.cfg.SandboxAPIURL), nil},
		{"live dashboard", c.cfg.LiveDashboardAddr, dashboardSurface(keygate.Live), dashboardAddrs[keygate.Live]},
		{"sandbox dashboard", c.cfg.SandboxDashboardAddr, dashboardSurface(keygate.Sandbox), dashboardAddrs[keygate.Sandbox]},
		{"metrics", c.cfg.MetricsAddr, func(net.Listener) http.Handler { return metricsHandler(registry) }, nil},
	}
	if c.cfg.VerifyAddr != "" {
		surfaces = append(surfaces, surface{"verify endpoint", c.cfg.VerifyAddr, func(net.Listener) http.Handler {
			return gateway.VerifyHandler(verifier, c.cfg.DocsURL)
		}, nil})
	}
	return serveAll(ctx, logger, e, surfaces, verifier, background, c.cfg)
}

// schedule returns r with its first retry delay and its number of retries
// set.
func schedule(r keygate.RetrySchedule, base time.Duration, retries int) keygate.RetrySchedule {
	r.Base, r.Retries = base, retries
	return r
}

// every runs fn now, then every interval and whenever wake receives (nil
// for never), until ctx ends, logging its errors; each run is bounded by
// the interval.
func every(ctx context.Context, interval time.Duration, wake <-chan struct{}, logger *slog.Logger, name string, fn func(context.Context) (int, error)) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		runCtx, cancel := context.WithTimeout(ctx, max(interval, time.Minute))
		if n, err := fn(runCtx); err != nil && ctx.Err() == nil {
			logger.Error(name, "err", err)
		} else if n > 0 {
			logger.Info(name, "events", n)
		}
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-wake:
		}
	}
}

// serveAll listens on every surface first, so that a taken address fails
// the start before anything is served, then runs the verifier and serves
// every surface until ctx ends or one fails.
func serveAll(ctx context.Context, logger *slog.Logger, e *env, surfaces []surface, verifier *auth.Verifier, background []func(context.Context), cfg Config) error {
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
		if s.bound != nil {
			*s.bound = l.Addr().String()
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	verifierCtx, stopVerifier := context.WithCancel(context.WithoutCancel(ctx))
	verifierDone := make(chan error, 1)
	go func() { verifierDone <- verifier.Run(verifierCtx) }()
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	var work sync.WaitGroup
	for _, run := range background {
		work.Add(1)
		go func() {
			defer work.Done()
			run(workCtx)
		}()
	}

	errs := make(chan error, len(surfaces)+1)
	var wg sync.WaitGroup
	for i, s := range surfaces {
		streams := (s.name == "live API" && cfg.upstreams[keygate.Live] != nil) || (s.name == "sandbox API" && cfg.upstreams[keygate.Sandbox] != nil)
		srv := cfg.limits.server(s.handler(listeners[i]), streams, logger)
		fmt.Fprintf(e.stderr, "keygate: %s listening on http://%s\n", s.name, listeners[i].Addr())
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
	select {
	case <-ctx.Done():
	case err := <-verifierDone:
		errs <- err // the change feed can't be read: serving would risk stale keys
		cancel()
	}
	wg.Wait()
	stopWork()
	work.Wait() // deliveries in flight are finished and recorded
	stopVerifier()
	<-verifierDone // writes the last uses still pending
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	fmt.Fprintln(e.stderr, "keygate: stopped")
	return nil
}

// metricsHandler serves the registry at /metrics.
func metricsHandler(registry *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	// A liveness probe beside the metrics, for monitors that only reach this
	// address: the process is up and serving.
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	return mux
}
