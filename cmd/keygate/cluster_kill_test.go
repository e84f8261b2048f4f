package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/postgres"
	"github.com/keygate/keygate/storetest"
)

// tryJSON sends a request and decodes its JSON answer into out; unlike
// apiJSON, a transport error (a node that died) is returned, not fatal.
func tryJSON(method, url, token, body string, out any) (int, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	json.NewDecoder(resp.Body).Decode(out)
	return resp.StatusCode, nil
}

// TestClusterKillNode kills one of three nodes with SIGKILL in the middle
// of a storm of key creations and revocations spread over the three, with
// every event going to a webhook: every change a node acknowledged exists,
// and every committed event is delivered at least once, the dead node's
// claims included once their lease ends.
func TestClusterKillNode(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts processes")
	}
	dbURL, _ := storetest.PostgresSchema(t)
	sealKey := newSealKey(t)
	rc := newHookReceiver(t)
	var nodes []*node
	for _, name := range []string{"A", "B", "C"} {
		env := clusterEnv(t, dbURL, sealKey, 0)
		env["KEYGATE_DELIVERY_LEASE"] = "2s"
		env["KEYGATE_RETRY_BASE"] = "100ms"
		env["KEYGATE_WEBHOOK_ALLOW_PRIVATE"] = "127.0.0.0/8" // the receiver is on loopback
		nodes = append(nodes, startNode(t, name, env))
	}
	cl := &cli{t: t, env: map[string]string{"KEYGATE_DATABASE_URL": dbURL, "KEYGATE_ENCRYPTION_KEY": sealKey}}
	acc := strings.TrimSpace(cl.must("accounts", "create", "--environment", "live", "--name", "Acme"))
	admin := strings.TrimSpace(cl.must("api-keys", "create", "--account", acc, "--name", "admin", "--permissions", "all"))
	var keys []struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(cl.must("api-keys", "list", "--account", acc, "--json")), &keys))
	require.Len(t, keys, 1)
	adminID := keys[0].ID
	dest := apiCall(t, "POST", nodes[0].urls["live API"]+"/notification-settings", admin,
		`{"description":"hooks","destination":"`+rc.URL+`","type":"url","subscribed_events":["api_key.created","api_key.revoked"]}`)
	rc.mu.Lock()
	rc.secret = dest["data"].(map[string]any)["endpoint_secret_key"].(string)
	rc.mu.Unlock()

	// The storm: on each node, create a key and revoke it, again and again.
	var mu sync.Mutex
	acked := map[string]keygate.APIKeyStatus{} // key ID → the status a node acknowledged last
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, nd := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				var k struct{ Data struct{ ID string } }
				status, err := tryJSON("POST", nd.urls["live API"]+"/api-keys", admin, `{"name":"k","permissions":["customer.read"]}`, &k)
				if err != nil {
					return // the node died
				}
				if status != http.StatusCreated {
					continue
				}
				mu.Lock()
				acked[k.Data.ID] = keygate.APIKeyActive
				mu.Unlock()
				status, err = tryJSON("PATCH", nd.urls["live API"]+"/api-keys/"+k.Data.ID, admin, `{"status":"revoked"}`, &struct{}{})
				if err != nil {
					return
				}
				if status == http.StatusOK {
					mu.Lock()
					acked[k.Data.ID] = keygate.APIKeyRevoked
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	require.NoError(t, nodes[1].cmd.Process.Signal(syscall.SIGKILL), "kill -9 node B mid-storm")
	time.Sleep(1500 * time.Millisecond)
	close(stop)
	wg.Wait()

	ctx := context.Background()
	store, err := postgres.Open(ctx, dbURL)
	require.NoError(t, err)
	defer store.Close()
	svc := app.New(store)
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, acked)
	for id, want := range acked {
		k, err := svc.GetAPIKey(ctx, app.AccountScope(acc), id)
		require.NoError(t, err, "acknowledged key %s exists", id)
		if want == keygate.APIKeyRevoked {
			require.Equal(t, keygate.APIKeyRevoked, k.Status, "acknowledged revocation of %s", id)
		}
	}

	var events []*keygate.Event
	for after := ""; ; {
		page, _, err := svc.ListEvents(ctx, app.AccountScope(acc), keygate.EventFilter{Page: keygate.Page{After: after, Limit: keygate.MaxPageSize, SkipCount: true}})
		require.NoError(t, err)
		events = append(events, page...)
		if len(page) < keygate.MaxPageSize {
			break
		}
		after = page[len(page)-1].ID
	}
	var want []string
	for _, e := range events {
		if e.EntityID == adminID {
			continue // made before the destination
		}
		if e.Type == keygate.EventAPIKeyCreated || e.Type == keygate.EventAPIKeyRevoked {
			want = append(want, e.ID)
		}
	}
	missing := func() int {
		counts, _ := rc.counts()
		n := 0
		for _, id := range want {
			if counts[id] == 0 {
				n++
			}
		}
		return n
	}
	require.Eventually(t, func() bool { return missing() == 0 }, 60*time.Second, 100*time.Millisecond, "every committed event is delivered at least once, past the dead node's leases")
	t.Logf("%d keys acknowledged, %d events, all delivered; node B killed mid-storm", len(acked), len(want))
}
