package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/api"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/auth"
	"github.com/keygate/keygate/internal/faultproxy"
	"github.com/keygate/keygate/internal/testlog"
	"github.com/keygate/keygate/postgres"
	"github.com/keygate/keygate/storetest"
)

// faultNode is an API node whose connections to PostgreSQL pass through a
// fault-injecting proxy, beside another node (other) that reaches the
// database directly and makes the changes.
type faultNode struct {
	proxy *faultproxy.Proxy
	store *postgres.DB
	api   string
	v     *auth.Verifier
	other *app.Service
	acc   *keygate.Account
	logs  *testlog.Buffer // the node's store's and verifier's
}

// startFaultNode starts the node; listenOnly puts only its LISTEN
// connection behind the proxy.
func startFaultNode(t *testing.T, listenOnly bool) *faultNode {
	t.Helper()
	direct, _ := storetest.PostgresSchema(t)
	u, err := url.Parse(direct)
	require.NoError(t, err)
	proxy, err := faultproxy.New(u.Host)
	require.NoError(t, err)
	t.Cleanup(proxy.Close)
	u.Host = proxy.Addr()
	q := u.Query()
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	proxied := u.String()

	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	other, err := postgres.Open(ctx, direct)
	require.NoError(t, err)
	t.Cleanup(func() { other.Close() })
	nodeURL := proxied
	if listenOnly {
		nodeURL = direct
	}
	store, err := postgres.Open(ctx, nodeURL)
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	store.ListenURL = proxied
	logs := &testlog.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	store.Logger = logger
	v := auth.New(auth.Config{Store: store, LoadTimeout: time.Second, Logger: logger})
	done := make(chan struct{})
	go func() { defer close(done); v.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	srv := httptest.NewServer(api.NewServer(api.Config{Environment: keygate.Live}, app.New(store), v, nil))
	t.Cleanup(srv.Close)
	n := &faultNode{proxy: proxy, store: store, api: srv.URL, v: v, other: app.New(other), logs: logs}
	n.acc, err = n.other.CreateAccount(ctx, keygate.AccountCreate{Environment: keygate.Live, Name: "Acme"})
	require.NoError(t, err)
	require.Eventually(t, v.Started, 10*time.Second, 10*time.Millisecond)
	return n
}

// key makes a key through the other node.
func (n *faultNode) key(t *testing.T) (*keygate.APIKey, string) {
	t.Helper()
	k, token, err := n.other.CreateAPIKey(context.Background(), app.AccountScope(n.acc.ID), n.acc.ID, keygate.APIKeyCreate{Name: "k", Permissions: []keygate.Permission{"customer.read"}})
	require.NoError(t, err)
	return k, token
}

// settle waits until the node has followed every change so far, so that
// what it loads next stays cached.
func (n *faultNode) settle(t *testing.T) {
	t.Helper()
	storetest.Settle(t, n.other.Store)
	var last int64
	require.NoError(t, n.other.Store.View(context.Background(), func(tx keygate.Tx) (err error) {
		last, err = tx.LastChangeSeq(context.Background())
		return err
	}))
	require.Eventually(t, func() bool { return n.v.FollowedTo() >= last }, 10*time.Second, 10*time.Millisecond)
}

// revoke revokes a key through the other node.
func (n *faultNode) revoke(t *testing.T, k *keygate.APIKey) {
	t.Helper()
	_, err := n.other.RevokeAPIKey(context.Background(), app.AccountScope(n.acc.ID), k.ID)
	require.NoError(t, err)
}

// get sends GET /event-types with token and returns the status, the error
// code and Retry-After.
func (n *faultNode) get(t *testing.T, token string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest("GET", n.api+"/event-types", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body struct {
		Error struct{ Type, Code, Detail string } `json:"error"`
		Meta  struct {
			RequestID string `json:"request_id"`
		} `json:"meta"`
	}
	json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode >= 300 {
		require.NotEmpty(t, body.Meta.RequestID, "Paddle's envelope")
		require.NotEmpty(t, body.Error.Detail)
	}
	return resp.StatusCode, body.Error.Code, resp.Header.Get("Retry-After")
}

// readyz returns /readyz's status and body.
func (n *faultNode) readyz(t *testing.T) (int, string) {
	t.Helper()
	resp, err := http.Get(n.api + "/readyz")
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// inForce waits until the node refuses a revoked key, within 1 s.
func (n *faultNode) inForce(t *testing.T, token, msg string) {
	t.Helper()
	require.Eventually(t, func() bool {
		_, code, _ := n.get(t, token)
		return code == "invalid_token"
	}, time.Second, 10*time.Millisecond, msg)
}

// logged counts the lines of the node's log that contain msg.
func (n *faultNode) logged(msg string) int {
	return strings.Count(n.logs.String(), msg)
}

// TestFaultListenCut stalls the LISTEN connection alone: a revocation made
// meanwhile is in force within a second all the same, through the polling
// behind LISTEN; and after the connection comes back. Every failure to
// listen is counted, and logged once until the connection is back.
func TestFaultListenCut(t *testing.T) {
	t.Parallel()
	n := startFaultNode(t, true)
	k1, t1 := n.key(t)
	k2, t2 := n.key(t)
	n.settle(t)
	for _, tok := range []string{t1, t2} {
		status, _, _ := n.get(t, tok)
		require.Equal(t, 200, status)
	}
	n.proxy.Pause()
	n.proxy.DropAll()
	n.revoke(t, k1)
	n.inForce(t, t1, "a revocation during the LISTEN cut is in force within 1 s")
	require.Eventually(t, func() bool { return n.store.ListenErrors.Load() >= 2 }, 60*time.Second, 10*time.Millisecond,
		"the cut and a failed reconnection are counted")
	n.proxy.Resume()
	n.revoke(t, k2)
	n.inForce(t, t2, "and after the connection is back")
	require.Eventually(t, func() bool { return n.logged("LISTEN connection back") == 1 }, 60*time.Second, 10*time.Millisecond,
		"the connection's return is logged")
	require.Equal(t, 1, n.logged("LISTEN connection failed"), "%d failures, logged once: %s", n.store.ListenErrors.Load(), n.logs)
}

// TestFaultDropAll drops every connection of the node and refuses new ones
// for 3 s: a revocation made meanwhile is in force within 1 s of the
// connections coming back, and the node recovers without a restart.
func TestFaultDropAll(t *testing.T) {
	t.Parallel()
	n := startFaultNode(t, false)
	k1, t1 := n.key(t)
	n.settle(t)
	status, _, _ := n.get(t, t1)
	require.Equal(t, 200, status)
	n.proxy.Pause()
	n.proxy.DropAll()
	n.revoke(t, k1)
	time.Sleep(3 * time.Second)
	n.proxy.Resume()
	require.Eventually(t, func() bool { return n.store.Ping(context.Background()) == nil }, 10*time.Second, 10*time.Millisecond)
	n.inForce(t, t1, "a revocation made while cut off is in force within 1 s of reconnecting")
	_, t2 := n.key(t)
	require.Eventually(t, func() bool { s, _, _ := n.get(t, t2); return s == 200 }, 5*time.Second, 10*time.Millisecond, "a new key works: recovered")
	require.Eventually(t, func() bool { s, _ := n.readyz(t); return s == 200 }, 10*time.Second, 50*time.Millisecond)
}

// TestFaultPause10s stalls the database for 10 s: cached keys keep working
// for a bounded time (auth.StaleAfter, plus a read's timeout), keys not
// cached answer 503 service_unavailable in Paddle's envelope, /readyz says
// what is wrong; after, a revocation made during the stall is in force
// within 1 s and the node serves again without a restart.
func TestFaultPause10s(t *testing.T) {
	t.Parallel()
	n := startFaultNode(t, false)
	k1, t1 := n.key(t)
	_, t2 := n.key(t)
	n.settle(t)
	status, _, _ := n.get(t, t1)
	require.Equal(t, 200, status)

	n.proxy.Pause()
	paused := time.Now()
	n.revoke(t, k1) // through the other node, which reaches the database
	status, _, _ = n.get(t, t1)
	require.Equal(t, 200, status, "a cached key keeps working during an outage")
	status, code, retry := n.get(t, t2)
	require.Equal(t, http.StatusServiceUnavailable, status, "a key not cached can't be checked")
	require.Equal(t, "service_unavailable", code)
	require.Equal(t, "5", retry)
	status, body := n.readyz(t)
	require.Equal(t, http.StatusServiceUnavailable, status)
	require.Contains(t, body, "not ready: database unreachable")

	// Past the bound, cached keys answer 503 too: nothing stale is served.
	bound := auth.StaleAfter + 3*time.Second
	require.Eventually(t, func() bool { s, _, _ := n.get(t, t1); return s == http.StatusServiceUnavailable },
		bound+5*time.Second, 100*time.Millisecond, "cached keys stop working within the documented bound")
	t.Logf("cached key refused with 503 %v into the outage (bound %v)", time.Since(paused).Round(time.Millisecond), bound)

	time.Sleep(time.Until(paused.Add(10 * time.Second)))
	n.proxy.Resume()
	require.Eventually(t, func() bool { return n.store.Ping(context.Background()) == nil }, 10*time.Second, 10*time.Millisecond)
	n.inForce(t, t1, "the revocation made during the stall is in force within 1 s")
	require.Eventually(t, func() bool { s, _, _ := n.get(t, t2); return s == 200 }, 5*time.Second, 10*time.Millisecond, "recovered without a restart")
	require.Eventually(t, func() bool { s, _ := n.readyz(t); return s == 200 }, 10*time.Second, 50*time.Millisecond)

	// The feed was polled, and failed, every second or so of the outage:
	// logged once as it began, once as the cache was dropped, once as it
	// ended.
	require.Eventually(t, func() bool { return n.logged("auth: change feed readable again") > 0 }, 10*time.Second, 10*time.Millisecond)
	for _, msg := range []string{"auth: can't read the change feed", "dropped the cache", "auth: change feed readable again"} {
		require.Equal(t, 1, n.logged(msg), "%q logged once per outage: %s", msg, n.logs)
	}
}
