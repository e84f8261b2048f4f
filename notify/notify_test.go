package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paddle "github.com/PaddleHQ/paddle-go-sdk/v4"
	"github.com/PaddleHQ/paddle-go-sdk/v4/pkg/paddlenotification"
	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/internal/testsmtp"
	"github.com/keygate/keygate/notify"
	"github.com/keygate/keygate/sqlite"
)

// receiver is a webhook endpoint on loopback that verifies signatures with
// Paddle's SDK and keeps what it receives; it can be made to fail.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	secret string
	bodies [][]byte
	failed atomic.Int64
	status atomic.Int64 // the answer; 0 means 200
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.mu.Lock()
		secret := rc.secret
		rc.mu.Unlock()
		ok, err := paddle.NewWebhookVerifier(secret, paddle.VerifierWithTimestampTolerance(5*time.Second)).Verify(r)
		if err != nil || !ok {
			t.Errorf("signature does not verify: %v", err)
			http.Error(w, "bad signature", http.StatusForbidden)
			return
		}
		if st := rc.status.Load(); st != 0 {
			rc.failed.Add(1)
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(int(st))
			io.WriteString(w, "not now")
			return
		}
		body, _ := io.ReadAll(r.Body)
		require.Equal(t, "application/json", r.Header.Get("Content-Type"))
		require.Contains(t, r.Header.Get("User-Agent"), "Paddle")
		rc.mu.Lock()
		rc.bodies = append(rc.bodies, body)
		rc.mu.Unlock()
	}))
	t.Cleanup(rc.Close)
	return rc
}

// trust has rc verify deliveries with destination s's secret.
func (rc *receiver) trust(s *keygate.NotificationSetting) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.secret = s.Secret
}

func (rc *receiver) received() [][]byte {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([][]byte(nil), rc.bodies...)
}

// eventually bounds the waits for deliveries: generous, since the machine
// may be loaded; a test that passes waits only as long as it needs.
const eventually = time.Minute

type bundle struct {
	ctx  context.Context
	svc  *app.Service
	acc  *keygate.Account
	smtp *testsmtp.Server
	d    *notify.Dispatcher
}

// setup runs a dispatcher with fast retries (3 in sandbox, from 50 ms),
// allowed to deliver to loopback, where the test receivers are.
func setup(t *testing.T) *bundle {
	loopback, err := keygate.ParseAddressPolicy("127.0.0.0/8,::1")
	require.NoError(t, err)
	return setupWith(t, loopback, loopback)
}

// setupWith is setup with the address policies of saving (app) and of
// connecting (the dispatcher).
func setupWith(t *testing.T, save, dial *keygate.AddressPolicy, configure ...func(*notify.Config)) *bundle {
	ctx, cancel := context.WithCancel(context.Background())
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), sqlite.FileName))
	require.NoError(t, err)
	sealer, err := credential.NewSealer(credential.NewSealKey())
	require.NoError(t, err)
	mail := testsmtp.Start(t)
	mailer, err := notify.ParseMailer("smtp://"+mail.Addr, "keygate@example.com")
	require.NoError(t, err)
	fast := keygate.RetrySchedule{Retries: 3, Base: 50 * time.Millisecond, Factor: 2}
	cfg := notify.Config{
		Store: db, Sealer: sealer, Mailer: mailer, PollInterval: 20 * time.Millisecond, Timeout: 2 * time.Second,
		Schedules:     map[keygate.Environment]keygate.RetrySchedule{keygate.Live: fast, keygate.Sandbox: fast},
		AddressPolicy: dial,
	}
	for _, c := range configure {
		c(&cfg)
	}
	d := notify.NewDispatcher(cfg)
	svc := &app.Service{Store: db, Now: time.Now, Sealer: sealer, Wake: d.Wake, AddressPolicy: save}
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		db.Close()
	})
	acc, err := svc.CreateAccount(ctx, keygate.AccountCreate{Environment: keygate.Sandbox, Name: "Acme"})
	require.NoError(t, err)
	return &bundle{ctx: ctx, svc: svc, acc: acc, smtp: mail, d: d}
}

func (b *bundle) destination(t *testing.T, typ keygate.NotificationSettingType, dest string, events ...keygate.EventType) *keygate.NotificationSetting {
	s, err := b.svc.CreateNotificationSetting(b.ctx, app.AccountScope(b.acc.ID), b.acc.ID, keygate.NotificationSettingCreate{
		Description: "test", Type: typ, Destination: dest, SubscribedEvents: events,
	})
	require.NoError(t, err)
	return s
}

func (b *bundle) notificationsOf(t *testing.T, settingID string) []*keygate.Notification {
	list, _, err := b.svc.ListNotifications(b.ctx, app.AccountScope(b.acc.ID), keygate.NotificationFilter{SettingID: settingID})
	require.NoError(t, err)
	return list
}

// TestWebhooks checks that every event reaches its webhook, signed so that
// Paddle's SDK verifies it, in a body the SDK's types read with every field.
func TestWebhooks(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rc := newReceiver(t)
	s := b.destination(t, keygate.DestinationURL, rc.URL+"/paddle", keygate.EventAPIKeyCreated, keygate.EventAPIKeyUpdated, keygate.EventAPIKeyRevoked)
	rc.trust(s)

	sc := app.AccountScope(b.acc.ID)
	k, _, err := b.svc.CreateAPIKey(b.ctx, sc, b.acc.ID, keygate.APIKeyCreate{Name: "CRM", Description: ptr("Syncs."), Permissions: []keygate.Permission{"customer.read"}})
	require.NoError(t, err)
	_, err = b.svc.UpdateAPIKey(b.ctx, sc, k.ID, keygate.APIKeyUpdate{Name: ptr("CRM 2")})
	require.NoError(t, err)
	_, err = b.svc.RevokeAPIKey(b.ctx, sc, k.ID)
	require.NoError(t, err)

	require.Eventually(t, func() bool { return len(rc.received()) == 3 }, eventually, 10*time.Millisecond)
	seen := map[string]bool{}
	for _, body := range rc.received() {
		var ev paddlenotification.APIKeyRevoked // every api_key.* event has this shape
		require.NoError(t, json.Unmarshal(body, &ev))
		seen[string(ev.EventType)] = true
		require.Regexp(t, `^evt_[a-z\d]{26}$`, ev.EventID)
		require.Regexp(t, `^ntf_[a-z\d]{26}$`, ev.NotificationID)
		_, err := time.Parse(time.RFC3339Nano, ev.OccurredAt)
		require.NoError(t, err)
		d := ev.Data
		require.Equal(t, k.ID, d.ID)
		require.Equal(t, "Syncs.", *d.Description)
		require.Regexp(t, `^pdl_sdbx_apikey_[a-z\d]{10}\*\*\*\*$`, d.Key)
		require.Equal(t, []paddlenotification.APIKeyPermission{paddlenotification.APIKeyPermissionCustomerRead}, d.Permissions)
		require.NotNil(t, d.ExpiresAt)
		require.NotEmpty(t, d.CreatedAt)
		require.NotEmpty(t, d.UpdatedAt)
		if ev.EventType == paddlenotification.EventTypeNameAPIKeyRevoked {
			require.Equal(t, paddlenotification.APIKeyStatusRevoked, d.Status)
		}
	}
	require.Equal(t, map[string]bool{"api_key.created": true, "api_key.updated": true, "api_key.revoked": true}, seen)

	require.Eventually(t, func() bool {
		for _, n := range b.notificationsOf(t, s.ID) {
			if n.Status != keygate.NotificationDelivered {
				return false
			}
		}
		return true
	}, eventually, 10*time.Millisecond)
	n := b.notificationsOf(t, s.ID)[0]
	require.Equal(t, 1, n.TimesAttempted)
	logs, _, err := b.svc.ListNotificationLogs(b.ctx, sc, n.ID, keygate.Page{})
	require.NoError(t, err)
	require.Len(t, logs, 1)
	require.Equal(t, 200, logs[0].ResponseCode)
}

// TestRetries takes the receiver down, then up: the retries deliver. A
// receiver that stays down exhausts the schedule and the notification fails.
func TestRetries(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rc := newReceiver(t)
	s := b.destination(t, keygate.DestinationURL, rc.URL, keygate.EventAPIKeyCreated)
	rc.trust(s)

	rc.status.Store(503)
	_, _, err := b.svc.CreateAPIKey(b.ctx, app.AccountScope(b.acc.ID), b.acc.ID, keygate.APIKeyCreate{Name: "k", Permissions: []keygate.Permission{"price.read"}})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return rc.failed.Load() >= 2 }, eventually, 5*time.Millisecond)
	rc.status.Store(0)
	require.Eventually(t, func() bool { return len(rc.received()) == 1 }, eventually, 10*time.Millisecond, "a retry delivers once the receiver is back")
	var n *keygate.Notification
	require.Eventually(t, func() bool {
		n = b.notificationsOf(t, s.ID)[0]
		return n.Status == keygate.NotificationDelivered
	}, eventually, 10*time.Millisecond)
	require.GreaterOrEqual(t, n.TimesAttempted, 3)
	logs, _, err := b.svc.ListNotificationLogs(b.ctx, app.AccountScope(b.acc.ID), n.ID, keygate.Page{})
	require.NoError(t, err)
	require.Len(t, logs, n.TimesAttempted, "every attempt is logged")
	require.Equal(t, 503, logs[0].ResponseCode)
	require.Equal(t, "not now", logs[0].ResponseBody)
	require.Equal(t, "text/plain", *logs[0].ResponseContentType)

	// Down for good: 1 attempt and 3 retries, then failed.
	rc.status.Store(500)
	before := rc.failed.Load()
	_, _, err = b.svc.CreateAPIKey(b.ctx, app.AccountScope(b.acc.ID), b.acc.ID, keygate.APIKeyCreate{Name: "k2", Permissions: []keygate.Permission{"price.read"}})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		list := b.notificationsOf(t, s.ID)
		return list[len(list)-1].Status == keygate.NotificationFailed
	}, eventually, 10*time.Millisecond)
	list := b.notificationsOf(t, s.ID)
	require.Equal(t, 4, list[len(list)-1].TimesAttempted)
	require.Equal(t, before+4, rc.failed.Load())
	require.Nil(t, list[len(list)-1].RetryAt)
}

// TestUnreachable checks that a destination nobody answers at is retried
// and its failure logged.
func TestUnreachable(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rc := newReceiver(t)
	dead := rc.URL
	rc.Close()
	s := b.destination(t, keygate.DestinationURL, dead, keygate.EventAPIKeyCreated)
	_, _, err := b.svc.CreateAPIKey(b.ctx, app.AccountScope(b.acc.ID), b.acc.ID, keygate.APIKeyCreate{Name: "k", Permissions: []keygate.Permission{"price.read"}})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return b.notificationsOf(t, s.ID)[0].Status == keygate.NotificationFailed }, eventually, 10*time.Millisecond)
	logs, _, err := b.svc.ListNotificationLogs(b.ctx, app.AccountScope(b.acc.ID), b.notificationsOf(t, s.ID)[0].ID, keygate.Page{})
	require.NoError(t, err)
	require.Zero(t, logs[0].ResponseCode)
	require.Contains(t, logs[0].ResponseBody, "no answer")
}

// TestEmail sends events to an e-mail destination through a real SMTP
// server on loopback, after a temporary refusal.
func TestEmail(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := b.destination(t, keygate.DestinationEmail, "ops@example.com", keygate.EventAPIKeyRevoked)
	b.smtp.Refuse(true)
	sc := app.AccountScope(b.acc.ID)
	k, _, err := b.svc.CreateAPIKey(b.ctx, sc, b.acc.ID, keygate.APIKeyCreate{Name: "CRM sync", Permissions: []keygate.Permission{"price.read"}})
	require.NoError(t, err)
	_, err = b.svc.RevokeAPIKey(b.ctx, sc, k.ID)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return b.notificationsOf(t, s.ID)[0].TimesAttempted >= 1 }, eventually, 10*time.Millisecond)
	b.smtp.Refuse(false)
	require.Eventually(t, func() bool { return len(b.smtp.Messages()) == 1 }, eventually, 10*time.Millisecond)

	m := b.smtp.Messages()[0]
	require.Equal(t, "keygate@example.com", m.From)
	require.Equal(t, []string{"ops@example.com"}, m.To)
	require.Contains(t, m.Data, "Subject: [keygate sandbox] API key revoked: CRM sync")
	body := strings.ReplaceAll(m.Data, "\r\n", "\n")
	require.Contains(t, body, `The API key "CRM sync" (pdl_sdbx_apikey_`)
	require.Contains(t, body, "reactivated within 60 minutes")

	require.Eventually(t, func() bool { return b.notificationsOf(t, s.ID)[0].Status == keygate.NotificationDelivered }, eventually, 10*time.Millisecond)
	logs, _, err := b.svc.ListNotificationLogs(b.ctx, sc, b.notificationsOf(t, s.ID)[0].ID, keygate.Page{})
	require.NoError(t, err)
	require.Equal(t, 451, logs[0].ResponseCode, "the refusal is logged")
	require.Equal(t, 250, logs[len(logs)-1].ResponseCode)
}

func TestRenderExpiring(t *testing.T) {
	t.Parallel()
	payload := `{"event_id":"evt_1","event_type":"api_key.expiring","occurred_at":"2026-11-23T10:00:00.000000Z","notification_id":"ntf_1",
		"data":{"id":"apikey_01jkdpbhazdpn3wpcya45as9tg","name":"CRM","key":"pdl_live_apikey_01jkdpbhaz****","status":"active","expires_at":"2026-11-30T10:00:00.000000Z"}}`
	subject, body, err := notify.Render(keygate.Live, []byte(payload))
	require.NoError(t, err)
	require.Equal(t, "[keygate live] API key expires soon: CRM", subject)
	require.Contains(t, body, "expires on Monday 30 November 2026 at 10:00 UTC")
	require.Contains(t, body, "Rotate it before it expires")
}

func TestParseMailer(t *testing.T) {
	t.Parallel()
	m, err := notify.ParseMailer("smtps://user:pass@mail.example.com:465", "k@example.com")
	require.NoError(t, err)
	require.Equal(t, &url.URL{Scheme: "smtps", User: url.UserPassword("user", "pass"), Host: "mail.example.com:465"}, m.URL)
	for _, bad := range []string{"http://mail.example.com:25", "smtp://mail.example.com", "::"} {
		_, err := notify.ParseMailer(bad, "k@example.com")
		require.Error(t, err, bad)
	}
	_, err = notify.ParseMailer("smtp://mail.example.com:25", "")
	require.Error(t, err)
}

func ptr[T any](v T) *T { return &v }
