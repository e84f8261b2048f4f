package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/api"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/auth"
	"github.com/keygate/keygate/postgres"
	"github.com/keygate/keygate/storetest"
)

// sharedNodes starts n API nodes on one PostgreSQL database, sharing their
// rate-limit counts every interval, with the given limit; clients are named
// by X-Forwarded-For (loopback is the trusted proxy).
func sharedNodes(t *testing.T, n, limit int, interval time.Duration, now func() time.Time) []string {
	t.Helper()
	u, _ := storetest.PostgresSchema(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var urls []string
	for range n {
		db, err := postgres.Open(ctx, u)
		require.NoError(t, err)
		t.Cleanup(func() { db.Close() })
		shared := api.NewSharedLimits(db, interval, nil)
		done := make(chan struct{})
		go func() { defer close(done); shared.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
		srv := api.NewServer(api.Config{
			Environment: keygate.Live, RateLimit: limit, SharedLimits: shared, Now: now,
			TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		}, app.New(db), auth.New(auth.Config{Store: db}), nil)
		ts := httptest.NewServer(srv)
		t.Cleanup(ts.Close)
		urls = append(urls, ts.URL)
	}
	return urls
}

// hit sends one request as client ip and returns its status and
// Retry-After.
func hit(t *testing.T, url, ip string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url+"/event-types", nil)
	require.NoError(t, err)
	req.Header.Set("X-Forwarded-For", ip)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

// TestSharedRateLimit spreads one client's requests over three nodes: in
// total it gets the limit (within 10%), not three times it; once refused,
// it is refused on every node, for the lockout; another client is not.
func TestSharedRateLimit(t *testing.T) {
	t.Parallel()
	const limit, nodes = 120, 3
	// A clock in the middle of a minute, so one window holds the test.
	clock := storetest.NewClock(time.Now().UTC().Truncate(time.Minute).Add(20 * time.Second))
	urls := sharedNodes(t, nodes, limit, api.DefaultShareInterval, clock.Now)

	admitted, soft := 0, 0
	lockedAt := -1
	for i := 0; i < 20*limit && lockedAt < 0; i++ {
		status, retry := hit(t, urls[i%nodes], "203.0.113.7")
		switch {
		case status != http.StatusTooManyRequests:
			admitted++
		case retry == "1":
			soft++ // a node's part is spent until its next share
		default:
			require.Equal(t, "60", retry)
			lockedAt = i
		}
		time.Sleep(6 * time.Millisecond)
	}
	t.Logf("admitted %d of a limit of %d over %d nodes (%d refused for a second), locked out at request %d", admitted, limit, nodes, soft, lockedAt)
	require.GreaterOrEqual(t, lockedAt, 0, "the client is locked out")
	require.InDelta(t, limit, admitted, limit/10, "the cluster admits the limit, within 10%%")

	// Locked out on every node, within a second; another client is not.
	for _, u := range urls {
		require.Eventually(t, func() bool {
			status, retry := hit(t, u, "203.0.113.7")
			return status == http.StatusTooManyRequests && retry != "1"
		}, 5*time.Second, 20*time.Millisecond, "locked out on %s", u)
		status, _ := hit(t, u, "198.51.100.1")
		require.NotEqual(t, http.StatusTooManyRequests, status)
	}
}

// countingCounter counts the calls to the database of the shared limits.
type countingCounter struct {
	keygate.RequestCounter
	calls atomic.Int64
}

func (c *countingCounter) AddRequestCounts(ctx context.Context, node string, counts []keygate.RequestCount, now time.Time) ([]keygate.RequestCount, int, error) {
	c.calls.Add(1)
	return c.RequestCounter.AddRequestCounts(ctx, node, counts, now)
}

// TestSharedLimitsNoWritePerRequest checks that the shared rate limit
// counts requests locally: until a share is due, a hundred requests call
// the database not once, and yet are counted against the limit.
func TestSharedLimitsNoWritePerRequest(t *testing.T) {
	t.Parallel()
	u, _ := storetest.PostgresSchema(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := postgres.Open(ctx, u)
	require.NoError(t, err)
	defer db.Close()
	counter := &countingCounter{RequestCounter: db}
	shared := api.NewSharedLimits(counter, time.Hour, nil) // no share due during the test
	done := make(chan struct{})
	go func() { defer close(done); shared.Run(ctx) }()
	defer func() { cancel(); <-done }()
	srv := httptest.NewServer(api.NewServer(api.Config{
		Environment: keygate.Live, RateLimit: 60, SharedLimits: shared,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
	}, app.New(db), auth.New(auth.Config{Store: db}), nil))
	defer srv.Close()
	admitted := 0
	for range 100 {
		if status, _ := hit(t, srv.URL, "203.0.113.7"); status != http.StatusTooManyRequests {
			admitted++
		}
	}
	require.Equal(t, 60, admitted, "counted locally against the limit")
	require.Zero(t, counter.calls.Load(), "no database call per request")
}
