package dashboard_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/dashboard"
	"github.com/keygate/keygate/notify"
	"github.com/keygate/keygate/sqlite"
	"github.com/keygate/keygate/storetest"
)

// received is a webhook request as the receiver got it.
type received struct {
	signature string
	body      []byte
}

// TestSendTestEvent: a destination's "Send test event" button (a POST with
// the CSRF token) sends a test event to that destination only, signed with
// its secret, through the dispatcher to a real receiver on loopback; the
// delivery shows in its log with a notice, and not in the account's events.
func TestSendTestEvent(t *testing.T) {
	t.Parallel()
	got := make(chan received, 4)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- received{r.Header.Get(notify.SignatureHeader), body}
	}))
	defer receiver.Close()

	ctx, cancel := context.WithCancel(context.Background())
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), sqlite.FileName))
	require.NoError(t, err)
	sealer, err := credential.NewSealer(credential.NewSealKey())
	require.NoError(t, err)
	loopback, err := keygate.ParseAddressPolicy("127.0.0.0/8,::1")
	require.NoError(t, err)
	d := notify.NewDispatcher(notify.Config{Store: db, Sealer: sealer, AddressPolicy: loopback, PollInterval: 20 * time.Millisecond, Timeout: 5 * time.Second})
	clock := storetest.NewClock(time.Now().UTC().Truncate(time.Microsecond))
	svc := &app.Service{Store: db, Now: clock.Now, Sealer: sealer, Wake: d.Wake, AddressPolicy: loopback}
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx)
	}()
	dash := dashboard.NewServer(dashboard.Config{Environment: keygate.Sandbox, Now: clock.Now}, svc)
	srv := httptest.NewServer(dash)
	t.Cleanup(func() { srv.Close(); cancel(); <-done; db.Close() })
	b := &bundle{ctx: ctx, svc: svc, dash: dash, srv: srv, clock: clock}

	br := b.signedIn(t)
	newDestination := func(desc string) string {
		return br.createDestination(t, url.Values{"description": {desc}, "type": {"url"},
			"destination": {receiver.URL + "/" + desc}, "events": {"api_key.created"}})
	}
	ops, other := newDestination("ops"), newDestination("other")
	_, body := br.get("/notifications/" + ops)
	token := csrf(t, body)
	require.Contains(t, body, `action="/notifications/`+ops+`/test"`)
	require.Contains(t, body, ">Send test event</button>")

	resp, _ := br.post("/notifications/"+ops+"/test", url.Values{"csrf": {"not the token"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "without the CSRF token nothing is sent")
	resp, _ = br.post("/notifications/ntfset_01jkdpbhazdpn3wpcya45as9tg/test", url.Values{"csrf": {token}})
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = br.post("/notifications/"+ops+"/test", url.Values{"csrf": {token}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/notifications/"+ops+"?done=tested", resp.Header.Get("Location"))

	var r received
	select {
	case r = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("the receiver got no test event")
	}
	ns, err := svc.GetNotificationSetting(ctx, app.OperatorScope(), ops)
	require.NoError(t, err)
	ts, _, _ := strings.Cut(strings.TrimPrefix(r.signature, "ts="), ";")
	sec, err := time.ParseDuration(ts + "s")
	require.NoError(t, err)
	require.Equal(t, notify.Sign(ns.Secret, time.Unix(int64(sec/time.Second), 0), r.body), r.signature, "signed with the destination's secret")
	require.Contains(t, string(r.body), `"event_type":"notification_setting.test"`)
	require.Contains(t, string(r.body), `"notification_setting_id":"`+ops+`"`)
	select {
	case r = <-got:
		t.Fatalf("a second request reached the receiver: %s", r.body)
	case <-time.After(300 * time.Millisecond):
	}

	_, body = br.get("/notifications/" + ops + "?done=tested")
	require.Contains(t, body, "A test event was sent", "a notice confirms it")
	require.Contains(t, body, `data-label="Event"><code>notification_setting.test</code>`, "the delivery is in the destination's log")
	require.Equal(t, 1, strings.Count(body, `data-delivery-id="`))
	_, body = br.get("/notifications/" + other)
	require.NotContains(t, body, `data-delivery-id="`, "only that destination")
	_, body = br.get("/events")
	require.NotContains(t, body, "notification_setting.test", "not among the account's events")
	list, _, err := svc.ListEvents(ctx, app.AccountScope(ns.AccountID), keygate.EventFilter{})
	require.NoError(t, err)
	for _, e := range list {
		require.NotEqual(t, keygate.EventNotificationTest, e.Type)
	}
}
