package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	paddle "github.com/PaddleHQ/paddle-go-sdk/v4"
	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate/internal/testsmtp"
	"github.com/keygate/keygate/storetest"
)

// hookReceiver is a webhook endpoint that verifies each delivery with
// Paddle's SDK and counts deliveries by event ID, noting when each came.
type hookReceiver struct {
	*httptest.Server
	mu      sync.Mutex
	secret  string
	byEvent map[string]int
	types   map[string]string
	at      map[string][]time.Time // by event ID
	hold    chan struct{}          // while set, deliveries wait on it (and the sender may die)
	inHold  chan struct{}
	// gate, while set, holds each delivery once counted, until it is
	// closed or the sender gives up; gated is how many it holds.
	gate  chan struct{}
	gated int
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{byEvent: map[string]int{}, types: map[string]string{}, at: map[string][]time.Time{}}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		secret, hold, inHold := h.secret, h.hold, h.inHold
		h.mu.Unlock()
		if hold != nil {
			select {
			case inHold <- struct{}{}:
			default:
			}
			<-hold
			http.Error(w, "held", http.StatusServiceUnavailable)
			return
		}
		if ok, err := paddle.NewWebhookVerifier(secret).Verify(r); err != nil || !ok {
			t.Errorf("webhook signature does not verify: %v", err)
			http.Error(w, "bad signature", http.StatusForbidden)
			return
		}
		var body struct {
			EventID   string `json:"event_id"`
			EventType string `json:"event_type"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		h.mu.Lock()
		h.byEvent[body.EventID]++
		h.types[body.EventID] = body.EventType
		h.at[body.EventID] = append(h.at[body.EventID], time.Now())
		gate := h.gate
		if gate != nil {
			h.gated++
		}
		h.mu.Unlock()
		if gate != nil {
			select {
			case <-gate:
			case <-r.Context().Done(): // the sender gave up, or died
			}
			h.mu.Lock()
			h.gated--
			h.mu.Unlock()
		}
	}))
	t.Cleanup(h.Close)
	return h
}

// holding returns how many deliveries the gate holds.
func (h *hookReceiver) holding() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.gated
}

// firstAt returns when the first delivery of event id came; zero if none.
func (h *hookReceiver) firstAt(id string) time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	if at := h.at[id]; len(at) > 0 {
		return at[0]
	}
	return time.Time{}
}

func (h *hookReceiver) counts() (map[string]int, map[string]string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, ty := map[string]int{}, map[string]string{}
	for k, v := range h.byEvent {
		c[k] = v
	}
	for k, v := range h.types {
		ty[k] = v
	}
	return c, ty
}

// apiCall sends a JSON request to the API with a Bearer token.
func apiCall(t *testing.T, method, url, token, body string) map[string]any {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	require.Less(t, resp.StatusCode, 300, "%s %s: %s", method, url, raw)
	if len(raw) > 0 {
		require.NoError(t, json.Unmarshal(raw, &out))
	}
	return out
}

// TestDeliveryAcrossKill kills keygate with SIGKILL while it delivers a
// webhook, starts it again, and checks that every event arrives.
func TestDeliveryAcrossKill(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts processes")
	}
	engines := map[string]map[string]string{"sqlite": {}}
	if os.Getenv(storetest.PostgresURLEnv) != "" {
		u, _ := storetest.PostgresSchema(t)
		engines["postgres"] = map[string]string{"KEYGATE_DATABASE_URL": u}
	}
	for name, store := range engines {
		t.Run(name, func(t *testing.T) {
			env := serveEnv(t.TempDir())
			for k, v := range store {
				env[k] = v
			}
			env["KEYGATE_DELIVERY_LEASE"] = "2s"
			env["KEYGATE_RETRY_BASE"] = "100ms"
			env["KEYGATE_WEBHOOK_ALLOW_PRIVATE"] = "127.0.0.0/8" // the receiver is on loopback
			rc := newHookReceiver(t)
			rc.hold, rc.inHold = make(chan struct{}), make(chan struct{}, 1)

			cmd, urls := startServe(t, env)
			c := &cli{t: t, env: env}
			acc := strings.TrimSpace(c.must("accounts", "create", "--environment", "live", "--name", "Acme"))
			out, _, err := c.run("", "api-keys", "create", "--account", acc, "--name", "admin", "--permissions", "all")
			require.NoError(t, err)
			admin := strings.TrimSpace(out)
			dest := apiCall(t, "POST", urls["live API"]+"/notification-settings", admin,
				`{"description":"hooks","destination":"`+rc.URL+`","type":"url","subscribed_events":["api_key.created","api_key.revoked"]}`)
			rc.mu.Lock()
			rc.secret = dest["data"].(map[string]any)["endpoint_secret_key"].(string)
			rc.mu.Unlock()

			var ids []string
			for range 5 {
				k := apiCall(t, "POST", urls["live API"]+"/api-keys", admin, `{"name":"k","permissions":["price.read"]}`)
				ids = append(ids, k["data"].(map[string]any)["id"].(string))
			}
			apiCall(t, "PATCH", urls["live API"]+"/api-keys/"+ids[0], admin, `{"status":"revoked"}`)

			select {
			case <-rc.inHold:
			case <-time.After(10 * time.Second):
				t.Fatal("no delivery began")
			}
			require.NoError(t, cmd.Process.Signal(syscall.SIGKILL), "killed mid-delivery")
			cmd.Wait()
			rc.mu.Lock()
			close(rc.hold)
			rc.hold = nil
			rc.mu.Unlock()

			startServe(t, env)
			require.Eventually(t, func() bool {
				counts, _ := rc.counts()
				return len(counts) == 6
			}, 30*time.Second, 50*time.Millisecond, "5 keys created and 1 revoked: 6 events, each delivered at least once")
			counts, types := rc.counts()
			revoked := 0
			for id, n := range counts {
				require.GreaterOrEqual(t, n, 1, id)
				if types[id] == "api_key.revoked" {
					revoked++
				}
			}
			require.Equal(t, 1, revoked)
		})
	}
}

// TestNotificationsEndToEnd runs keygate with a webhook receiver and a real
// SMTP server, each a destination; keys are created, updated, revoked and
// brought to expiry, and every event arrives once per destination.
func TestNotificationsEndToEnd(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts processes")
	}
	mail := testsmtp.Start(t)
	rc := newHookReceiver(t)
	env := serveEnv(t.TempDir())
	env["KEYGATE_SMTP_URL"] = "smtp://" + mail.Addr
	env["KEYGATE_SMTP_FROM"] = "keygate@example.com"
	env["KEYGATE_EXPIRY_SCAN_INTERVAL"] = "200ms"
	env["KEYGATE_WEBHOOK_ALLOW_PRIVATE"] = "127.0.0.0/8" // the receiver is on loopback
	_, urls := startServe(t, env)
	c := &cli{t: t, env: env}
	acc := strings.TrimSpace(c.must("accounts", "create", "--environment", "sandbox", "--name", "Acme"))
	out, _, err := c.run("", "api-keys", "create", "--account", acc, "--name", "admin", "--permissions", "all")
	require.NoError(t, err)
	admin := strings.TrimSpace(out)
	events := `["api_key.created","api_key.updated","api_key.revoked","api_key.expiring","api_key.expired"]`
	hook := apiCall(t, "POST", urls["sandbox API"]+"/notification-settings", admin,
		`{"description":"hooks","destination":"`+rc.URL+`","type":"url","subscribed_events":`+events+`}`)
	rc.mu.Lock()
	rc.secret = hook["data"].(map[string]any)["endpoint_secret_key"].(string)
	rc.mu.Unlock()
	apiCall(t, "POST", urls["sandbox API"]+"/notification-settings", admin,
		`{"description":"ops mail","destination":"ops@example.com","type":"email","subscribed_events":`+events+`}`)

	k := apiCall(t, "POST", urls["sandbox API"]+"/api-keys", admin, `{"name":"CRM","permissions":["price.read"]}`)["data"].(map[string]any)
	id := k["id"].(string)
	apiCall(t, "PATCH", urls["sandbox API"]+"/api-keys/"+id, admin, `{"name":"CRM sync"}`)
	apiCall(t, "PATCH", urls["sandbox API"]+"/api-keys/"+id, admin, `{"status":"revoked"}`)
	short := time.Now().Add(2 * time.Second).UTC().Format(time.RFC3339Nano)
	apiCall(t, "POST", urls["sandbox API"]+"/api-keys", admin, `{"name":"Short-lived","permissions":["price.read"],"expires_at":"`+short+`"}`)

	want := []string{"api_key.created", "api_key.updated", "api_key.revoked", "api_key.created", "api_key.expiring", "api_key.expired"}
	require.Eventually(t, func() bool {
		counts, _ := rc.counts()
		return len(counts) == len(want) && len(mail.Messages()) == len(want)
	}, 20*time.Second, 50*time.Millisecond, "every event by webhook and by e-mail")
	counts, types := rc.counts()
	var got []string
	for id, n := range counts {
		require.Equal(t, 1, n, "once per destination: %s", id)
		got = append(got, types[id])
	}
	require.ElementsMatch(t, want, got)
	var subjects []string
	for _, m := range mail.Messages() {
		require.Equal(t, []string{"ops@example.com"}, m.To)
		for _, line := range strings.Split(m.Data, "\r\n") {
			if s, ok := strings.CutPrefix(line, "Subject: "); ok {
				subjects = append(subjects, s)
			}
		}
	}
	require.ElementsMatch(t, []string{
		"[keygate sandbox] New API key: CRM", "[keygate sandbox] API key updated: CRM sync", "[keygate sandbox] API key revoked: CRM sync",
		"[keygate sandbox] New API key: Short-lived", "[keygate sandbox] API key expires soon: Short-lived", "[keygate sandbox] API key expired: Short-lived",
	}, subjects)
	hookID := hook["data"].(map[string]any)["id"].(string)
	other := strings.TrimSpace(c.must("accounts", "create", "--environment", "sandbox", "--name", "Other"))
	out, _, err = c.run("", "api-keys", "create", "--account", other, "--name", "admin", "--permissions", "all")
	require.NoError(t, err)
	checkDeliveriesSDK(t, urls["sandbox API"], admin, strings.TrimSpace(out), hookID, len(want))
}

// checkDeliveriesSDK reads the deliveries to destination settingID with
// Paddle's Go SDK, as token's account: n notifications, each delivered at
// the first attempt with one log of the receiver's 200, the same by ID as
// in the list; and with otherToken, of another account, not found.
func checkDeliveriesSDK(t *testing.T, baseURL, token, otherToken, settingID string, n int) {
	t.Helper()
	ctx := t.Context()
	client, err := paddle.New(token, paddle.WithBaseURL(baseURL))
	require.NoError(t, err)
	list, err := client.ListNotifications(ctx, &paddle.ListNotificationsRequest{NotificationSettingID: []string{settingID}})
	require.NoError(t, err)
	var ids []string
	require.NoError(t, list.Iter(ctx, func(nt *paddle.Notification) (bool, error) {
		require.Equal(t, paddle.NotificationStatusDelivered, nt.Status, nt.ID)
		require.Equal(t, 1, nt.TimesAttempted, nt.ID)
		require.NotNil(t, nt.DeliveredAt, nt.ID)
		require.Equal(t, settingID, nt.NotificationSettingID)
		got, err := client.GetNotification(ctx, &paddle.GetNotificationRequest{NotificationID: nt.ID})
		require.NoError(t, err)
		require.Equal(t, nt.Status, got.Status)
		require.Equal(t, nt.Type, got.Type)
		require.Equal(t, *nt.DeliveredAt, *got.DeliveredAt)
		logs, err := client.ListNotificationLogs(ctx, &paddle.ListNotificationLogsRequest{NotificationID: nt.ID})
		require.NoError(t, err)
		var attempts []*paddle.NotificationLog
		require.NoError(t, logs.Iter(ctx, func(l *paddle.NotificationLog) (bool, error) {
			attempts = append(attempts, l)
			return true, nil
		}))
		require.Len(t, attempts, 1, nt.ID)
		require.Equal(t, http.StatusOK, attempts[0].ResponseCode)
		require.Regexp(t, `^ntflog_[a-z\d]{26}$`, attempts[0].ID)
		_, err = time.Parse(time.RFC3339, attempts[0].AttemptedAt)
		require.NoError(t, err, "attempted_at is RFC 3339")
		ids = append(ids, nt.ID)
		return true, nil
	}))
	require.Len(t, ids, n)

	foreign, err := paddle.New(otherToken, paddle.WithBaseURL(baseURL))
	require.NoError(t, err)
	_, err = foreign.GetNotification(ctx, &paddle.GetNotificationRequest{NotificationID: ids[0]})
	require.ErrorIs(t, err, paddle.ErrNotFound, "another account's notification")
	_, err = foreign.ListNotificationLogs(ctx, &paddle.ListNotificationLogsRequest{NotificationID: ids[0]})
	require.ErrorIs(t, err, paddle.ErrNotFound, "another account's notification's logs")
}
