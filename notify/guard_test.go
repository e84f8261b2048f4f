package notify_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
)

// internalService stands for an operator's internal service on loopback; it
// counts the requests that reach it and answers with a secret.
func internalService(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte("internal secret: hunter2"))
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// refusedLog waits for the first delivery attempt to setting s and returns
// its log entry.
func (b *bundle) firstLog(t *testing.T, s *keygate.NotificationSetting) *keygate.NotificationLog {
	var logs []*keygate.NotificationLog
	require.Eventually(t, func() bool {
		list := b.notificationsOf(t, s.ID)
		if len(list) == 0 || list[0].TimesAttempted == 0 {
			return false
		}
		var err error
		logs, _, err = b.svc.ListNotificationLogs(b.ctx, app.AccountScope(b.acc.ID), list[0].ID, keygate.Page{})
		require.NoError(t, err)
		return len(logs) > 0
	}, 10*time.Second, 10*time.Millisecond)
	return logs[0]
}

// TestDialRefusesPrivate saves destinations that resolve to loopback (as a
// name rebound after it was saved would) and checks that the dispatcher,
// under the default policy, never connects: the log says only "destination
// address not allowed", nothing the internal service would have answered.
func TestDialRefusesPrivate(t *testing.T) {
	t.Parallel()
	srv, hits := internalService(t)
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	for name, dest := range map[string]string{
		"ip":        srv.URL,
		"name":      "http://localhost:" + u.Port() + "/", // resolved by the dialer to 127.0.0.1 or ::1
		"ipv4-in-6": "http://[::ffff:127.0.0.1]:" + u.Port() + "/",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := setupWith(t, keygate.AllowAll(), nil) // saved under a lax policy; delivered under the default
			s := b.destination(t, keygate.DestinationURL, dest, keygate.EventAPIKeyCreated)
			_, _, err := b.svc.CreateAPIKey(b.ctx, app.AccountScope(b.acc.ID), b.acc.ID, keygate.APIKeyCreate{Name: "k", Permissions: []keygate.Permission{"price.read"}})
			require.NoError(t, err)
			log := b.firstLog(t, s)
			require.Equal(t, "destination address not allowed", log.ResponseBody)
			require.Zero(t, log.ResponseCode)
			require.Zero(t, hits.Load(), "the internal service was never reached")
		})
	}
}

// TestNoRedirects checks that a receiver's redirect to an internal address
// is not followed: its answer is recorded as it is.
func TestNoRedirects(t *testing.T) {
	t.Parallel()
	srv, hits := internalService(t)
	redirector := httptest.NewServer(http.RedirectHandler(srv.URL+"/admin", http.StatusTemporaryRedirect))
	t.Cleanup(redirector.Close)
	b := setupWith(t, keygate.AllowAll(), keygate.AllowAll())
	s := b.destination(t, keygate.DestinationURL, redirector.URL, keygate.EventAPIKeyCreated)
	_, _, err := b.svc.CreateAPIKey(b.ctx, app.AccountScope(b.acc.ID), b.acc.ID, keygate.APIKeyCreate{Name: "k", Permissions: []keygate.Permission{"price.read"}})
	require.NoError(t, err)
	log := b.firstLog(t, s)
	require.Equal(t, http.StatusTemporaryRedirect, log.ResponseCode)
	require.NotContains(t, log.ResponseBody, "hunter2")
	require.Zero(t, hits.Load())
}

// TestSaveRefusesPrivate checks the check made when a destination is
// saved, under the default policy: internal addresses and names are
// invalid_field on destination, and nothing is saved.
func TestSaveRefusesPrivate(t *testing.T) {
	t.Parallel()
	b := setupWith(t, nil, nil)
	sc := app.AccountScope(b.acc.ID)
	for _, dest := range []string{
		"http://127.0.0.1:8080/", "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://192.168.1.1/",
		"http://100.64.0.1/", "http://[::1]/", "http://[fd00::1]/", "http://[fe80::1]/", "http://0.0.0.0/", "http://224.0.0.1/",
		"http://localhost/", "http://api.localhost/", "http://metadata.google.internal/", "http://intranet/", "http://[::ffff:10.0.0.1]/",
		"http://user:pw@hooks.example.com/", "http://exa mple.com/", "http://-bad-.example.com/", "gopher://hooks.example.com/",
	} {
		_, err := b.svc.CreateNotificationSetting(b.ctx, sc, b.acc.ID, keygate.NotificationSettingCreate{
			Description: "d", Type: keygate.DestinationURL, Destination: dest, SubscribedEvents: []keygate.EventType{keygate.EventAPIKeyCreated},
		})
		require.Equal(t, keygate.CodeInvalidField, keygate.ErrorCode(err), dest)
		require.Equal(t, "destination", keygate.ErrorFields(err)[0].Field, dest)
	}
	list, _, err := b.svc.ListNotificationSettings(b.ctx, sc, keygate.NotificationSettingFilter{})
	require.NoError(t, err)
	require.Empty(t, list, "nothing saved")

	ok, err := b.svc.CreateNotificationSetting(b.ctx, sc, b.acc.ID, keygate.NotificationSettingCreate{
		Description: "d", Type: keygate.DestinationURL, Destination: "https://hooks.example.com/paddle", SubscribedEvents: []keygate.EventType{keygate.EventAPIKeyCreated},
	})
	require.NoError(t, err)
	_, err = b.svc.UpdateNotificationSetting(b.ctx, sc, ok.ID, keygate.NotificationSettingUpdate{Destination: ptr("http://169.254.169.254/")})
	require.Equal(t, keygate.CodeInvalidField, keygate.ErrorCode(err), "an update is checked too")
	got, err := b.svc.GetNotificationSetting(b.ctx, sc, ok.ID)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(got.Destination, "https://hooks.example.com"), "unchanged")
}
