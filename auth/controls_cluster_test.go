package auth_test

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/auth"
	"github.com/keygate/keygate/internal/testlog"
	"github.com/keygate/keygate/postgres"
	"github.com/keygate/keygate/storetest"
)

// clusterNode is one verifier of a cluster on PostgreSQL, with its own
// connections, as a keygate serve process has.
type clusterNode struct {
	v   *auth.Verifier
	svc *app.Service
}

// cluster opens n nodes on one PostgreSQL database, each following the
// change feed and sharing every 20 ms.
func cluster(t *testing.T, n int) []clusterNode {
	t.Helper()
	u, _ := storetest.PostgresSchema(t)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	nodes := make([]clusterNode, n)
	for i := range nodes {
		db, err := postgres.Open(ctx, u)
		require.NoError(t, err)
		svc := app.New(db)
		v := auth.New(auth.Config{Store: db, ShareInterval: 20 * time.Millisecond, SpendCredits: svc.SpendCredits})
		svc.Changed = v.Invalidate
		nodes[i] = clusterNode{v: v, svc: svc}
		wg.Add(1)
		go func() {
			defer wg.Done()
			v.Run(ctx)
			db.Close()
		}()
		require.Eventually(t, v.Started, 10*time.Second, time.Millisecond)
	}
	t.Cleanup(func() { cancel(); wg.Wait() })
	return nodes
}

// use authenticates token on n.
func (n clusterNode) use(token string) error {
	_, err := n.v.AuthenticateFrom(context.Background(), keygate.Live, "Bearer "+token, 0, netip.MustParseAddr("10.0.0.1"))
	return err
}

// TestCreditsAcrossNodes checks that two nodes spend one balance: what one
// node spent is charged within a share interval, and the other node learns
// it before it spends again; the cluster overspends at most what the other
// node had last seen (docs/cluster.md).
func TestCreditsAcrossNodes(t *testing.T) {
	t.Parallel()
	nodes := cluster(t, 2)
	a, b := nodes[0], nodes[1]
	ctx := context.Background()
	acc, err := a.svc.CreateAccount(ctx, keygate.AccountCreate{Environment: keygate.Live, Name: "Acme"})
	require.NoError(t, err)
	k, token, err := a.svc.CreateAPIKey(ctx, app.AccountScope(acc.ID), acc.ID, keygate.APIKeyCreate{
		Name: "metered", Permissions: []keygate.Permission{"customer.read"}, Credits: &keygate.CreditsSet{Remaining: 10}})
	require.NoError(t, err)
	remaining := func() int64 {
		got, err := a.svc.GetAPIKey(ctx, app.OperatorScope(), k.ID)
		require.NoError(t, err)
		return got.Credits.Remaining
	}

	for range 6 {
		require.NoError(t, a.use(token))
	}
	require.Eventually(t, func() bool { return remaining() == 4 }, 10*time.Second, 5*time.Millisecond)
	for i := range 4 {
		require.NoError(t, b.use(token), "B's request %d of the 4 left", i+1)
	}
	require.Equal(t, auth.ErrNoCredits, b.use(token), "B must not spend what A spent")

	// A last saw 4 left; it learns B's spending within its resync, and
	// meanwhile spends at most those 4.
	extra := 0
	require.Eventually(t, func() bool {
		if a.use(token) == nil {
			extra++
			return false
		}
		return true
	}, 10*time.Second, 5*time.Millisecond)
	require.LessOrEqual(t, extra, 4)
	require.Eventually(t, func() bool { return remaining() == 0 }, 10*time.Second, 5*time.Millisecond)
	require.Equal(t, auth.ErrNoCredits, b.use(token))
}

// TestRateLimitAcrossNodes checks that two nodes share a key's rate limit:
// within one window, each node admits at most its part (rounded up) of
// what it knows is left, so the cluster admits the limit and at most
// (nodes-1) parts more (docs/cluster.md); without sharing it would admit
// the limit on each node.
func TestRateLimitAcrossNodes(t *testing.T) {
	t.Parallel()
	nodes := cluster(t, 2)
	ctx := context.Background()
	acc, err := nodes[0].svc.CreateAccount(ctx, keygate.AccountCreate{Environment: keygate.Live, Name: "Acme"})
	require.NoError(t, err)
	_, token, err := nodes[0].svc.CreateAPIKey(ctx, app.AccountScope(acc.ID), acc.ID, keygate.APIKeyCreate{
		Name: "limited", Permissions: []keygate.Permission{"customer.read"}, RateLimit: &keygate.RateLimit{Requests: 20, Per: keygate.PerHour}})
	require.NoError(t, err)
	// Both nodes learn they are two (a share by each).
	for _, n := range nodes {
		require.NoError(t, n.use(token))
	}
	for _, n := range nodes {
		require.Eventually(t, func() bool { return n.v.Nodes() == 2 }, 10*time.Second, 5*time.Millisecond)
	}
	admitted := 2
	deadline := time.Now().Add(30 * time.Second)
	refusedInARow := 0
	for i := 0; refusedInARow < 40 && time.Now().Before(deadline); i++ {
		err := nodes[i%2].use(token)
		var limited *auth.RateLimited
		switch {
		case err == nil:
			admitted, refusedInARow = admitted+1, 0
		case errors.As(err, &limited):
			refusedInARow++
			time.Sleep(5 * time.Millisecond) // let shares happen: refusals are of parts, until the total is known
		default:
			t.Fatal(err)
		}
	}
	require.GreaterOrEqual(t, admitted, 20, "the limit must be reachable across nodes")
	require.LessOrEqual(t, admitted, 20+10, "the limit and at most one node's part more")
}

// awayCounter is a PostgreSQL store whose sharing of rate-limit counts
// fails while away is set, as a database that stops answering.
type awayCounter struct {
	*postgres.DB
	away atomic.Bool
}

func (s *awayCounter) AddRequestCounts(ctx context.Context, node string, counts []keygate.RequestCount, now time.Time) ([]keygate.RequestCount, int, error) {
	if s.away.Load() {
		return nil, 0, errors.New("injected: the database does not answer")
	}
	return s.DB.AddRequestCounts(ctx, node, counts, now)
}

// TestShareFailsCountsKept checks what a node does while it can't share a
// key's rate-limit counts: it keeps counting and enforcing the limit on its
// own, says so once (not at every share), and once the database answers
// again it says that once and shares every request it counted meanwhile.
func TestShareFailsCountsKept(t *testing.T) {
	t.Parallel()
	u, _ := storetest.PostgresSchema(t)
	ctx, cancel := context.WithCancel(context.Background())
	db, err := postgres.Open(ctx, u)
	require.NoError(t, err)
	store := &awayCounter{DB: db}
	logs := &testlog.Buffer{}
	svc := app.New(db)
	v := auth.New(auth.Config{Store: store, ShareInterval: 20 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	svc.Changed = v.Invalidate
	done := make(chan struct{})
	go func() { defer close(done); v.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; db.Close() })
	require.Eventually(t, v.Started, 10*time.Second, time.Millisecond)
	acc, err := svc.CreateAccount(ctx, keygate.AccountCreate{Environment: keygate.Live, Name: "Acme"})
	require.NoError(t, err)
	k, token, err := svc.CreateAPIKey(ctx, app.AccountScope(acc.ID), acc.ID, keygate.APIKeyCreate{
		Name: "limited", Permissions: []keygate.Permission{"customer.read"}, RateLimit: &keygate.RateLimit{Requests: 5, Per: keygate.PerHour}})
	require.NoError(t, err)
	node := clusterNode{v: v, svc: svc}

	store.away.Store(true)
	for i := range 5 {
		require.NoError(t, node.use(token), "request %d of 5", i+1)
	}
	var limited *auth.RateLimited
	require.ErrorAs(t, node.use(token), &limited, "the limit holds on the node's own count")
	time.Sleep(200 * time.Millisecond) // ten shares fail
	require.Equal(t, 1, strings.Count(logs.String(), "counting locally until the database answers"), logs.String())

	store.away.Store(false)
	shared := func() int64 {
		var n int64
		err := db.Writer().QueryRowContext(ctx, `SELECT coalesce(sum(requests), 0) FROM rate_limit_counts WHERE scope = 'api_key' AND client_ip = $1`, k.ID).Scan(&n)
		require.NoError(t, err)
		return n
	}
	require.Eventually(t, func() bool { return shared() >= 5 }, 10*time.Second, 5*time.Millisecond,
		"the requests counted while the database was away are shared once it answers")
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "the database answers again") }, 10*time.Second, 5*time.Millisecond)
	require.Equal(t, 1, strings.Count(logs.String(), "the database answers again"))
}
