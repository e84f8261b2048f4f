package dashboard_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/dashboard"
	"github.com/keygate/keygate/internal/testlog"
)

// keygateSandboxPartner is a sandbox partner allowing domain.
func keygateSandboxPartner(domain string) keygate.PartnerCreate {
	return keygate.PartnerCreate{Environment: keygate.Sandbox, Name: "Platform", AllowedDomains: []string{domain}}
}

// mintFor creates a seller of partner p and mints one code for it.
func (b *bundle) mintFor(t *testing.T, p *keygate.Partner) string {
	return b.sellerOf(t, p)()
}

// seller creates a partner (allowing platform.example) and a seller, and
// returns a function that mints a magic-session code for the seller.
func (b *bundle) seller(t *testing.T) (mint func() string) {
	p, _, err := b.svc.CreatePartner(b.ctx, keygateSandboxPartner("platform.example"))
	require.NoError(t, err)
	return b.sellerOf(t, p)
}

// sellerOf creates a seller of partner p and returns a code minter.
func (b *bundle) sellerOf(t *testing.T, p *keygate.Partner) (mint func() string) {
	s, err := b.svc.CreateSeller(b.ctx, p, keygate.SellerCreate{FirstName: "Ada", LastName: "L", Email: "ada@seller.example", BusinessName: "Engines Ltd"})
	require.NoError(t, err)
	tok, err := credential.Parse(s.UserAPIKey)
	require.NoError(t, err)
	return func() string {
		code, expires, err := b.svc.AuthorizeMagicSession(b.ctx, "apikey_"+tok.ID)
		require.NoError(t, err)
		require.Equal(t, b.clock.Now().Add(60*time.Second), expires)
		return code
	}
}

// login opens a magic link with a Referer; it returns the status, where it
// sends the browser, and whether it set a session.
func (b *bundle) login(t *testing.T, srv *httptest.Server, code, redirect, referer string) (int, string, bool) {
	req, _ := http.NewRequest("GET", srv.URL+"/magic-sessions/login?code="+url.QueryEscape(code)+"&redirect="+redirect, nil)
	if referer != "" {
		req.Header.Set("Referer", referer)
	}
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	session := false
	for _, c := range resp.Cookies() {
		session = session || (c.Name == "keygate_session" && c.Value != "")
	}
	return resp.StatusCode, resp.Header.Get("Location"), session
}

func TestMagicLogin(t *testing.T) {
	t.Parallel()
	b := setup(t)
	mint := b.seller(t)
	from := "https://app.platform.example/sellers/42"

	code := mint()
	status, loc, session := b.login(t, b.srv, code, "onboarding", from)
	require.Equal(t, http.StatusSeeOther, status)
	require.Equal(t, "/onboarding", loc)
	require.True(t, session)
	status, _, session = b.login(t, b.srv, code, "onboarding", from)
	require.Equal(t, http.StatusForbidden, status, "single use")
	require.False(t, session)

	_, loc, _ = b.login(t, b.srv, mint(), "", from)
	require.Equal(t, "/authentication", loc, "overview by default")

	code = mint()
	status, _, _ = b.login(t, b.srv, code, "https://evil.example", from)
	require.Equal(t, http.StatusBadRequest, status, "no open redirect")
	status, _, _ = b.login(t, b.srv, code, "overview", from)
	require.Equal(t, http.StatusSeeOther, status, "an unknown redirect left the code untouched")

	code = mint()
	status, _, session = b.login(t, b.srv, code, "overview", "https://evil.example/platform.example")
	require.Equal(t, http.StatusForbidden, status)
	require.False(t, session)
	status, _, _ = b.login(t, b.srv, code, "overview", from)
	require.Equal(t, http.StatusForbidden, status, "a refused origin uses the code up")
	status, _, _ = b.login(t, b.srv, mint(), "overview", "")
	require.Equal(t, http.StatusForbidden, status, "no Referer, no login")
	status, _, _ = b.login(t, b.srv, mint(), "overview", "https://notplatform.example")
	require.Equal(t, http.StatusForbidden, status, "a suffix is not a subdomain")

	live := httptest.NewServer(dashboard.NewServer(dashboard.Config{Environment: keygate.Live, Now: b.clock.Now}, b.svc))
	defer live.Close()
	code = mint()
	status, _, _ = b.login(t, live, code, "overview", from)
	require.Equal(t, http.StatusForbidden, status, "a sandbox code on the live dashboard")
	status, _, _ = b.login(t, b.srv, code, "overview", from)
	require.Equal(t, http.StatusSeeOther, status, "and it was not used up there")

	code = mint()
	b.clock.Add(61 * time.Second)
	status, _, _ = b.login(t, b.srv, code, "overview", from)
	require.Equal(t, http.StatusForbidden, status, "expired")

	status, _, session = b.login(t, b.srv, mint(), "payout_settings", from)
	require.Equal(t, http.StatusOK, status, "no payout page configured: explained, not redirected")
	require.True(t, session)
	configured := httptest.NewServer(dashboard.NewServer(dashboard.Config{Environment: keygate.Sandbox, Now: b.clock.Now, PayoutSettingsURL: "https://ops.example/payouts"}, b.svc))
	defer configured.Close()
	_, loc, _ = b.login(t, configured, mint(), "payout_settings", from)
	require.Equal(t, "https://ops.example/payouts", loc)
	_, _, _ = b.login(t, b.srv, "not-a-code", "overview", from)
}

// TestMagicLoginConcurrent redeems one code with 100 requests at once:
// exactly one signs in.
func TestMagicLoginConcurrent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	code := b.seller(t)()
	var wg sync.WaitGroup
	var wins atomic.Int64
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if status, _, session := b.login(t, b.srv, code, "overview", "https://platform.example/"); status == http.StatusSeeOther && session {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	require.Equal(t, int64(1), wins.Load())
}

func TestOnboarding(t *testing.T) {
	t.Parallel()
	b := setup(t)
	code := b.seller(t)()
	br := b.browser(t)
	req, _ := http.NewRequest("GET", b.srv.URL+"/magic-sessions/login?code="+code+"&redirect=onboarding", nil)
	req.Header.Set("Referer", "https://platform.example/")
	resp, err := br.client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	_, body := br.get("/onboarding")
	require.Contains(t, body, `value="Engines Ltd"`)
	resp, _ = br.post("/onboarding", url.Values{"csrf": {csrf(t, body)}, "name": {"Engines Limited"}, "registration_number": {"0042"}, "type": {"private"}, "country_code": {"GB"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = br.get("/onboarding")
	require.Contains(t, body, `value="Engines Limited"`)
	require.Contains(t, body, `value="0042"`)
	require.True(t, strings.Contains(body, `value="private" selected`))
}

// TestMagicLoginLogged checks that the dashboard logs each magic-session
// login and each refusal, with the origin, client IP and who signed in,
// and never the code.
func TestMagicLoginLogged(t *testing.T) {
	t.Parallel()
	b := setup(t)
	mint := b.seller(t)
	var logs testlog.Buffer
	srv := httptest.NewServer(dashboard.NewServer(dashboard.Config{Environment: keygate.Sandbox, Now: b.clock.Now,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))}, b.svc))
	t.Cleanup(srv.Close)

	code := mint()
	status, _, _ := b.login(t, srv, code, "overview", "https://app.platform.example/sellers/42")
	require.Equal(t, http.StatusSeeOther, status)
	out := logs.String()
	require.Contains(t, out, `msg="dashboard: magic-session login"`)
	require.Contains(t, out, "origin_host=app.platform.example")
	require.Contains(t, out, "client_ip=127.0.0.1")
	require.Contains(t, out, "user_id=usr_")
	require.Contains(t, out, "account_id=acc_")
	require.NotContains(t, out, code)

	refused := mint()
	status, _, _ = b.login(t, srv, refused, "overview", "https://evil.example/")
	require.Equal(t, http.StatusForbidden, status)
	out = logs.String()
	require.Contains(t, out, `msg="dashboard: magic-session login refused"`)
	require.Contains(t, out, "origin_host=evil.example")
	require.NotContains(t, out, refused)
}
