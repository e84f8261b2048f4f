package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/internal/testlog"
	"github.com/keygate/keygate/postgres"
	"github.com/keygate/keygate/storetest"
)

// node is one `keygate serve` process of a cluster.
type node struct {
	cmd    *exec.Cmd
	urls   map[string]string
	output *testlog.Buffer
}

// startNode runs `keygate serve` as a process on env, stopped (SIGINT) when
// t ends and its output logged if t failed.
func startNode(t *testing.T, name string, env map[string]string) *node {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "KEYGATE_TEST_AS_MAIN=1", "KEYGATE_TEST_ARGS=serve")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out := &testlog.Buffer{}
	cmd.Stderr = out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		if t.Failed() {
			t.Logf("node %s's output:\n%s", name, out.String())
		}
	})
	return &node{cmd: cmd, urls: waitListening(t, out.String), output: out}
}

// clusterEnv returns the environment of a node of a cluster on database
// dbURL: every surface on a free port, the encryption key shared, loopback
// trusted as the balancer (X-Forwarded-For names the client).
func clusterEnv(t *testing.T, dbURL, sealKey string, rateLimit int) map[string]string {
	env := serveEnv(t.TempDir())
	env["KEYGATE_DATABASE_URL"] = dbURL
	env["KEYGATE_ENCRYPTION_KEY"] = sealKey
	env["KEYGATE_TRUSTED_PROXIES"] = "127.0.0.1/32"
	env["KEYGATE_RATE_LIMIT"] = fmt.Sprint(rateLimit)
	return env
}

// newSealKey returns a new KEYGATE_ENCRYPTION_KEY.
func newSealKey(t *testing.T) string {
	b := make([]byte, 32)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return base64.StdEncoding.EncodeToString(b)
}

// clientSeq numbers the clients callAs makes up, so that the test's own
// requests never meet the rate limit.
var clientSeq atomic.Uint32

// callAs sends a request with a Bearer token as client ip ("" for a new
// client each time) and returns the status, the error code and
// Retry-After.
func callAs(t *testing.T, method, base, path, token, ip, body string) (int, string, string) {
	t.Helper()
	if ip == "" {
		n := clientSeq.Add(1)
		ip = fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255)
	}
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("X-Forwarded-For", ip)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var code string
	if resp.StatusCode >= 300 {
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		decodeJSON(resp, &e)
		code = e.Error.Code
	}
	return resp.StatusCode, code, resp.Header.Get("Retry-After")
}

// TestCluster runs three `keygate serve` processes on one PostgreSQL
// database, as docs/cluster.md says to: a key revoked through node A is
// refused by B and C within a second, and works again within a second of
// its reactivation; a set-up link printed by one node works on another,
// once; a sign-in lockout earned on all three holds on each; a client that
// spreads its requests over the nodes gets the rate
// limit once, not three times.
func TestCluster(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts processes")
	}
	dbURL, _ := storetest.PostgresSchema(t)
	const rateLimit = 300
	sealKey := newSealKey(t)
	var nodes []*node
	for _, name := range []string{"A", "B", "C"} {
		nodes = append(nodes, startNode(t, name, clusterEnv(t, dbURL, sealKey, rateLimit)))
	}
	a, b, c := nodes[0], nodes[1], nodes[2]

	t.Run("SetupLinkOnAnotherNode", func(t *testing.T) {
		links := map[string]string{}
		for _, m := range setupLinkPattern.FindAllStringSubmatch(a.output.String(), -1) {
			links[m[1]] = m[2]
		}
		require.Contains(t, links, "live", "node A prints a set-up link")
		onNode := func(n *node) string {
			u, err := url.Parse(links["live"])
			require.NoError(t, err)
			return n.urls["live dashboard"] + "/setup?" + u.RawQuery
		}
		status, _ := setUpWith(t, onNode(b), "ada@example.com")
		require.Equal(t, http.StatusSeeOther, status, "A's link works on B")
		status, _ = setUpWith(t, onNode(c), "eve@example.com")
		require.Equal(t, http.StatusForbidden, status, "and only once, on any node")
		status, _ = setUpWith(t, onNode(a), "eve@example.com")
		require.Equal(t, http.StatusForbidden, status)
	})

	t.Run("SignInLockoutShared", func(t *testing.T) {
		for i := range app.SignInLockAfter { // wrong passwords, spread over the nodes
			require.Equal(t, http.StatusUnauthorized, signIn(t, nodes[i%3].urls["live dashboard"], "ada@example.com", "a wrong password"))
		}
		for _, n := range nodes { // locked on every node, even with the right password
			require.Equal(t, http.StatusTooManyRequests, signIn(t, n.urls["live dashboard"], "ada@example.com", "a long password"))
		}
	})

	cl := &cli{t: t, env: map[string]string{"KEYGATE_DATABASE_URL": dbURL, "KEYGATE_ENCRYPTION_KEY": sealKey}}
	acc := strings.TrimSpace(cl.must("accounts", "create", "--environment", "live", "--name", "Acme"))
	admin := strings.TrimSpace(cl.must("api-keys", "create", "--account", acc, "--name", "admin", "--permissions", "api_key.write,customer.read")) // a key grants only what it holds

	t.Run("RevokeOnAInForceOnBAndC", func(t *testing.T) {
		var created struct {
			Data struct{ ID, Key string }
		}
		status := apiJSON(t, "POST", a.urls["live API"], "/api-keys", admin, `{"name":"k","permissions":["customer.read"]}`, &created)
		require.Equal(t, http.StatusCreated, status)
		for _, n := range nodes {
			require.Eventually(t, func() bool {
				status, _, _ := callAs(t, "GET", n.urls["live API"], "/event-types", created.Data.Key, "", "")
				return status == http.StatusOK
			}, 5*time.Second, 10*time.Millisecond, "a new key works on every node")
		}
		for round := range 3 {
			status, code, _ := callAs(t, "PATCH", a.urls["live API"], "/api-keys/"+created.Data.ID, admin, "", `{"status":"revoked"}`)
			require.Equal(t, http.StatusOK, status, code)
			changed := time.Now()
			for _, n := range nodes[1:] {
				require.Eventually(t, func() bool {
					_, code, _ := callAs(t, "GET", n.urls["live API"], "/event-types", created.Data.Key, "", "")
					return code == "invalid_token"
				}, time.Second, 5*time.Millisecond, "round %d: a key revoked on A is refused on every node within a second", round)
			}
			t.Logf("round %d: refused on B and C %v after A answered the revocation", round, time.Since(changed).Round(time.Millisecond))
			status, code, _ = callAs(t, "PATCH", a.urls["live API"], "/api-keys/"+created.Data.ID, admin, "", `{"status":"active"}`)
			require.Equal(t, http.StatusOK, status, code)
			for _, n := range nodes[1:] {
				require.Eventually(t, func() bool {
					status, _, _ := callAs(t, "GET", n.urls["live API"], "/event-types", created.Data.Key, "", "")
					return status == http.StatusOK
				}, time.Second, 5*time.Millisecond, "round %d: a key reactivated on A works on every node within a second", round)
			}
		}
	})

	t.Run("PropagationOnMetrics", func(t *testing.T) {
		metrics, err := http.Get(b.urls["metrics"] + "/metrics")
		require.NoError(t, err)
		defer metrics.Body.Close()
		body, err := io.ReadAll(metrics.Body)
		require.NoError(t, err)
		require.Regexp(t, `keygate_auth_change_propagation_seconds_count [1-9]`, string(body), "B measured the changes it applied")
		require.Contains(t, string(body), `keygate_auth_change_propagation_seconds_bucket{le="0.1"}`)
	})

	t.Run("RateLimitShared", func(t *testing.T) {
		store, err := postgres.Open(context.Background(), dbURL)
		require.NoError(t, err)
		defer store.Close()
		// A minute's window may end mid-run, and a new one begins with no
		// count: then the run starts again with another client.
		for attempt := 0; ; attempt++ {
			require.Less(t, attempt, 5, "a minute's window ended during every run")
			ip := fmt.Sprintf("203.0.113.%d", 9+attempt)
			window := time.Now().Truncate(time.Minute)
			admitted := spreadUntilLocked(t, store, nodes, ip, rateLimit)
			if !time.Now().Truncate(time.Minute).Equal(window) {
				t.Logf("a minute's window ended during the run; again with another client")
				continue
			}
			t.Logf("admitted %d requests of a limit of %d spread over 3 nodes", admitted, rateLimit)
			require.InDelta(t, rateLimit, admitted, rateLimit/10, "the cluster admits the limit once, within 10%%")
			for _, n := range nodes {
				require.Eventually(t, func() bool {
					status, _, retry := callAs(t, "GET", n.urls["live API"], "/event-types", "", ip, "")
					return status == http.StatusTooManyRequests && retry != "1"
				}, 30*time.Second, 20*time.Millisecond, "the client is refused on every node")
			}
			return
		}
	})
}

// spreadUntilLocked sends requests as client ip round robin over nodes
// until one refuses it for the lockout (a 429 without Retry-After: 1, which
// marks a node's part spent until its next share), and returns how many
// were admitted. Every spreadRound requests it waits until the cluster's
// shared total (in store) holds every admission so far, so that what the
// nodes have not yet shared is at most one round, however slow the machine
// makes their shares; an admission beyond the limit can only be one of
// those.
func spreadUntilLocked(t *testing.T, store *postgres.DB, nodes []*node, ip string, limit int) int {
	t.Helper()
	shared := func() int64 {
		var n int64
		require.NoError(t, store.Writer().QueryRow(`SELECT coalesce(sum(requests), 0) FROM rate_limit_counts WHERE client_ip = $1`, ip).Scan(&n))
		return n
	}
	admitted := 0
	for i := 0; i < 20*limit; i++ {
		if i > 0 && i%spreadRound == 0 {
			require.Eventually(t, func() bool { return shared() == int64(admitted) }, 30*time.Second, 5*time.Millisecond,
				"the nodes share every admission")
		}
		status, _, retry := callAs(t, "GET", nodes[i%len(nodes)].urls["live API"], "/event-types", "", ip, "")
		switch {
		case status != http.StatusTooManyRequests:
			admitted++
		case retry != "1":
			return admitted
		}
	}
	t.Fatalf("the client was never refused for the lockout: %d requests admitted", admitted)
	return 0
}

// spreadRound is how many requests spreadUntilLocked sends between two
// waits for the nodes' shares: 5% of TestCluster's limit.
const spreadRound = 15

// signIn posts the sign-in form of a dashboard and returns the status.
func signIn(t *testing.T, dashboard, email, password string) int {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(dashboard + "/sign-in")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp, err = client.PostForm(dashboard+"/sign-in", url.Values{
		"csrf": {csrfPattern.FindStringSubmatch(string(body))[1]}, "email": {email}, "password": {password}})
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// apiJSON sends a request and decodes its JSON answer into out; it returns
// the status.
func apiJSON(t *testing.T, method, base, path, token, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	decodeJSON(resp, out)
	return resp.StatusCode
}

// decodeJSON decodes a response's JSON body into out, ignoring errors (the
// caller checks what it needs).
func decodeJSON(resp *http.Response, out any) {
	json.NewDecoder(resp.Body).Decode(out)
}

// TestClusterEncryptionKeyMismatch starts a node with another
// KEYGATE_ENCRYPTION_KEY than the one that sealed a webhook secret: it
// says so at start, and at each delivery it attempts, with the
// notification and destination, and counts the failed attempt.
func TestClusterEncryptionKeyMismatch(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts processes")
	}
	dbURL, _ := storetest.PostgresSchema(t)
	ctx := context.Background()
	store, err := postgres.Open(ctx, dbURL)
	require.NoError(t, err)
	defer store.Close()
	sealer, err := credential.NewSealer(credential.NewSealKey())
	require.NoError(t, err)
	svc := &app.Service{Store: store, Sealer: sealer, Now: time.Now}
	acc, err := svc.CreateAccount(ctx, keygate.AccountCreate{Environment: keygate.Live, Name: "Acme"})
	require.NoError(t, err)
	dest, err := svc.CreateNotificationSetting(ctx, app.AccountScope(acc.ID), acc.ID, keygate.NotificationSettingCreate{
		Description: "hook", Type: keygate.DestinationURL, Destination: "https://hooks.example.com/keygate",
		SubscribedEvents: []keygate.EventType{keygate.EventAPIKeyCreated}})
	require.NoError(t, err)

	env := clusterEnv(t, dbURL, newSealKey(t), 0)
	env["KEYGATE_RETRY_BASE"] = "1s"
	nd := startNode(t, "other-key", env)
	require.Contains(t, nd.output.String(), "KEYGATE_ENCRYPTION_KEY differs from the key that sealed the stored webhook secrets")

	_, _, err = svc.CreateAPIKey(ctx, app.AccountScope(acc.ID), acc.ID, keygate.APIKeyCreate{Name: "k", Permissions: []keygate.Permission{"customer.read"}})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		out := nd.output.String()
		return strings.Contains(out, "can't unseal the webhook secret") && strings.Contains(out, "destination="+dest.ID) &&
			strings.Contains(out, "delivery attempt failed")
	}, 20*time.Second, 50*time.Millisecond, "the node says why each delivery fails")
	code, body := get(t, nd.urls["metrics"]+"/metrics")
	require.Equal(t, http.StatusOK, code)
	require.Regexp(t, `keygate_notify_failed_attempts_total [1-9]`, body)
}
