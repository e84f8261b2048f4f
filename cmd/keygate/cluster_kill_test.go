package main

import (
	"context"
	"encoding/json"
	"fmt"
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
// every event going to a webhook: every change a node acknowledged exists;
// every committed event is delivered at least once, the dead node's claims
// included once their lease ends (claimDeadline); and no event is
// delivered twice except one the dead node was delivering when it died.
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
		env["KEYGATE_DELIVERY_PER_DESTINATION"] = fmt.Sprint(perDestination)
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
	destID := dest["data"].(map[string]any)["id"].(string)
	ctx := context.Background()
	store, err := postgres.Open(ctx, dbURL)
	require.NoError(t, err)
	defer store.Close()

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
	// Mid-storm, the receiver holds the deliveries it gets: once it holds
	// more than two nodes may have in flight, each node has one, B too.
	gate := make(chan struct{})
	rc.mu.Lock()
	rc.gate = gate
	rc.mu.Unlock()
	require.Eventually(t, func() bool { return rc.holding() > 2*perDestination }, 60*time.Second, 10*time.Millisecond,
		"deliveries in flight on every node")
	require.NoError(t, nodes[1].cmd.Process.Signal(syscall.SIGKILL), "kill -9 node B mid-storm, mid-delivery")
	nodes[1].cmd.Wait() // B is dead: from now on, it delivers nothing
	dead := time.Now()
	claims := claimsHeld(t, store, destID) // B's among them, and A's and C's in flight
	rc.mu.Lock()
	rc.gate = nil
	rc.mu.Unlock()
	close(gate)
	mu.Lock()
	before := len(acked)
	mu.Unlock()
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(acked) >= before+10 }, 60*time.Second, 10*time.Millisecond,
		"the storm goes on on A and C")
	close(stop)
	wg.Wait()

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

	// Once every delivery is on record, each delivery received is one
	// recorded, but for at most one per event that B was delivering when it
	// died (it came before B's death, and B could not record it); and each
	// claim held at B's death was delivered and recorded soon after its
	// lease, whoever held it.
	var outcomes map[string]outcome
	require.Eventually(t, func() bool {
		outcomes = deliveryOutcomes(t, store, destID)
		for _, id := range want {
			if o, ok := outcomes[id]; !ok || o.deliveredAt.IsZero() {
				return false
			}
		}
		return true
	}, 60*time.Second, 100*time.Millisecond, "every delivery is recorded")
	counts, _ := rc.counts()
	unrecorded := 0
	for _, id := range want {
		o := outcomes[id]
		switch extra := counts[id] - o.attempts; {
		case extra == 1:
			unrecorded++
			_, claimed := claims[id]
			require.True(t, claimed || rc.firstAt(id).Before(dead),
				"event %s: the delivery no node recorded was in flight when B died (claimed then, or received before)", id)
		case extra != 0:
			require.Failf(t, "delivered twice beyond what was in flight", "event %s: received %d times, %d attempts recorded", id, counts[id], o.attempts)
		}
		if until, ok := claims[id]; ok {
			require.False(t, o.deliveredAt.After(until.Add(claimDeadline)),
				"event %s, claimed until %v when B died, is stuck past its lease: delivered at %v", id, until, o.deliveredAt)
		}
	}
	require.Positive(t, unrecorded, "what B was delivering when it died is delivered again")
	t.Logf("%d keys acknowledged, %d events, all delivered; node B killed mid-storm with %d claims held in the cluster; %d deliveries in flight on B redelivered",
		len(acked), len(want), len(claims), unrecorded)
}

// perDestination is each node's bound on deliveries in flight to one
// destination in TestClusterKillNode.
const perDestination = 2

// claimDeadline bounds how long past its lease's end a claim of a dead node
// may wait to be claimed again and delivered: another node looks for due
// notifications every second at most, and this leaves many more for a
// loaded machine.
const claimDeadline = 10 * time.Second

// claimsHeld returns the claims held now on destination destID's
// notifications (not yet recorded), by event ID: when each ends.
func claimsHeld(t *testing.T, store *postgres.DB, destID string) map[string]time.Time {
	rows, err := store.Writer().Query(`SELECT event_id, claimed_until FROM notifications WHERE setting_id = $1 AND claimed_until IS NOT NULL`, destID)
	require.NoError(t, err)
	defer rows.Close()
	claims := map[string]time.Time{}
	for rows.Next() {
		var id string
		var until time.Time
		require.NoError(t, rows.Scan(&id, &until))
		claims[id] = until
	}
	require.NoError(t, rows.Err())
	return claims
}

// outcome is what is on record of the delivery of one event to one
// destination: how many attempts, and when it was delivered (zero: not
// yet).
type outcome struct {
	attempts    int
	deliveredAt time.Time
}

// deliveryOutcomes returns the outcomes on record of destination destID's
// notifications, by event ID.
func deliveryOutcomes(t *testing.T, store *postgres.DB, destID string) map[string]outcome {
	rows, err := store.Writer().Query(`SELECT n.event_id, n.delivered_at,
		    (SELECT count(*) FROM notification_logs AS l WHERE l.notification_id = n.id)
		FROM notifications AS n WHERE n.setting_id = $1`, destID)
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]outcome{}
	for rows.Next() {
		var id string
		var at *time.Time
		var o outcome
		require.NoError(t, rows.Scan(&id, &at, &o.attempts))
		if at != nil {
			o.deliveredAt = *at
		}
		out[id] = o
	}
	require.NoError(t, rows.Err())
	return out
}
