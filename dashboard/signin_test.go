package dashboard_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/dashboard"
	"github.com/keygate/keygate/internal/testlog"
)

// TestSignInHashBudgetFull fills the password-hashing budget and checks
// that a sign-in then waits briefly and gets a clear "try again" page (503,
// Retry-After), which counts as no failure of the password.
func TestSignInHashBudgetFull(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signedIn(t)
	b.svc.HashBudget = credential.NewHashBudget(credential.PasswordHashMemory, 100*time.Millisecond)
	held, release, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		b.svc.HashBudget.Do(context.Background(), func() { close(held); <-release })
	}()
	<-held
	br := b.browser(t)
	_, body := br.get("/sign-in")
	token := csrf(t, body)
	for range 12 { // more than the lockout's threshold: none of these counts as a failure
		resp, body := br.post("/sign-in", url.Values{"csrf": {token}, "email": {"ada@example.com"}, "password": {"a long password"}})
		require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
		require.Equal(t, "5", resp.Header.Get("Retry-After"))
		require.Contains(t, body, "Too many sign-ins at once. Try again in a few seconds.")
	}
	close(release)
	<-done // the turn passes on once its memory is collected, which -race may make slower than the wait
	resp, _ := br.post("/sign-in", url.Values{"csrf": {token}, "email": {"ada@example.com"}, "password": {"a long password"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "signed in once the budget has room")
}

// TestSignInClientIPAndLogs checks that the dashboard takes the client's
// address by the API's rule (X-Forwarded-For only from a trusted proxy)
// and logs sign-ins, failures and lockouts with it, never the password.
func TestSignInClientIPAndLogs(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		trusted []netip.Prefix
		want    string
	}{
		"trusted proxy": {[]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}, "client_ip=203.0.113.9"},
		"no proxy":      {nil, "client_ip=127.0.0.1"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var logs testlog.Buffer
			b := setup(t)
			b.signedIn(t)
			d := dashboard.NewServer(dashboard.Config{Environment: keygate.Sandbox, Now: b.clock.Now, TrustedProxies: tc.trusted,
				Logger: slog.New(slog.NewTextHandler(&logs, nil))}, b.svc)
			srv := httptest.NewServer(d)
			t.Cleanup(srv.Close)
			br := b.browser(t)
			br.base = srv.URL
			br.client.Transport = headerTransport{"X-Forwarded-For": "203.0.113.9"}
			_, body := br.get("/sign-in")
			token := csrf(t, body)
			resp, _ := br.post("/sign-in", url.Values{"csrf": {token}, "email": {"ada@example.com"}, "password": {"not the password"}})
			require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
			resp, _ = br.post("/sign-in", url.Values{"csrf": {token}, "email": {"ada@example.com"}, "password": {"a long password"}})
			require.Equal(t, http.StatusSeeOther, resp.StatusCode)
			out := logs.String()
			require.Contains(t, out, `msg="dashboard: sign-in failed"`)
			require.Contains(t, out, `msg="dashboard: signed in"`)
			require.Contains(t, out, tc.want)
			require.Contains(t, out, "email=ada@example.com")
			require.NotContains(t, out, "not the password")
			require.NotContains(t, out, "a long password")
		})
	}
}

// headerTransport adds headers to every request.
type headerTransport map[string]string

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range h {
		r.Header.Set(k, v)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestSetUpLogged checks that a set-up is logged, without the password.
func TestSetUpLogged(t *testing.T) {
	t.Parallel()
	var logs testlog.Buffer
	b := setup(t)
	d := dashboard.NewServer(dashboard.Config{Environment: keygate.Sandbox, Now: b.clock.Now, Logger: slog.New(slog.NewTextHandler(&logs, nil))}, b.svc)
	srv := httptest.NewServer(d)
	t.Cleanup(srv.Close)
	br := b.browser(t)
	br.base = srv.URL
	token, err := d.NewSetupToken(context.Background())
	require.NoError(t, err)
	_, body := br.get("/setup?token=" + token)
	resp, _ := br.post("/setup", url.Values{"csrf": {csrf(t, body)}, "token": {token}, "account": {"Acme"}, "email": {"ada@example.com"}, "password": {"a long password"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Contains(t, logs.String(), `msg="dashboard: set up"`)
	require.NotContains(t, logs.String(), "a long password")
}
