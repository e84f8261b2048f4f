package dashboard_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/dashboard"
	"github.com/keygate/keygate/sqlite"
	"github.com/keygate/keygate/storetest"
)

type bundle struct {
	ctx   context.Context
	svc   *app.Service
	dash  *dashboard.Server
	srv   *httptest.Server
	clock *storetest.Clock
}

func setup(t testing.TB) *bundle {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), sqlite.FileName))
	require.NoError(t, err)
	clock := storetest.NewClock(time.Now().UTC().Truncate(time.Microsecond))
	sealer, err := credential.NewSealer(credential.NewSealKey())
	require.NoError(t, err)
	svc := &app.Service{Store: db, Now: clock.Now, Sealer: sealer}
	d := dashboard.NewServer(dashboard.Config{Environment: keygate.Sandbox, Now: clock.Now}, svc)
	srv := httptest.NewServer(d)
	t.Cleanup(func() { srv.Close(); db.Close() })
	return &bundle{ctx: ctx, svc: svc, dash: d, srv: srv, clock: clock}
}

// browser is an HTTP client with cookies, that does not follow redirects.
type browser struct {
	t      testing.TB
	client *http.Client
	base   string
}

func (b *bundle) browser(t testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: b.srv.URL, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (br *browser) get(path string) (*http.Response, string) {
	resp, err := br.client.Get(br.base + path)
	require.NoError(br.t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (br *browser) post(path string, form url.Values) (*http.Response, string) {
	resp, err := br.client.PostForm(br.base+path, form)
	require.NoError(br.t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the CSRF token of a page's first form.
func csrf(t testing.TB, body string) string {
	m := csrfField.FindStringSubmatch(body)
	require.NotNil(t, m, "no CSRF token on the page")
	return m[1]
}

// signedIn sets keygate up through the setup link and returns a browser
// signed in to it.
func (b *bundle) signedIn(t testing.TB) *browser {
	br := b.browser(t)
	token := mustSetupToken(t, b.dash)
	_, body := br.get("/setup?token=" + token)
	resp, _ := br.post("/setup", url.Values{"csrf": {csrf(t, body)}, "token": {token}, "account": {"Acme"}, "email": {"ada@example.com"}, "password": {"a long password"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	return br
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	b := setup(t)
	br := b.signedIn(t)
	for _, path := range []string{"/sign-in", "/authentication", "/authentication/api-keys/new", "/nope", "/setup?token=x"} {
		resp, _ := br.get(path)
		h := resp.Header
		require.Contains(t, h.Get("Content-Security-Policy"), "script-src 'self'", path)
		require.NotContains(t, h.Get("Content-Security-Policy"), "unsafe-inline", path)
		require.Contains(t, h.Get("Content-Security-Policy"), "frame-ancestors 'none'", path)
		require.Equal(t, "nosniff", h.Get("X-Content-Type-Options"), path)
	}
}

func TestSetupAndSignIn(t *testing.T) {
	t.Parallel()
	b := setup(t)
	token := mustSetupToken(t, b.dash)
	br := b.browser(t)
	_, body := br.get("/setup?token=" + token)
	resp, _ := br.post("/setup", url.Values{"csrf": {csrf(t, body)}, "token": {token}, "account": {"Acme"}, "email": {"ada@example.com"}, "password": {"a long password"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "keygate_session" {
			session = c
		}
	}
	require.NotNil(t, session)
	require.True(t, session.HttpOnly)
	require.Equal(t, http.SameSiteLaxMode, session.SameSite)

	resp, _ = br.get("/setup?token=" + token)
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "the setup link works once")

	resp, body = br.get("/authentication")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "No API keys yet")
	resp, _ = br.post("/sign-out", url.Values{"csrf": {csrf(t, body)}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, _ = br.get("/authentication")
	require.Equal(t, "/sign-in", resp.Header.Get("Location"), "signed out")

	_, body = br.get("/sign-in")
	resp, _ = br.post("/sign-in", url.Values{"csrf": {csrf(t, body)}, "email": {"ADA@example.com"}, "password": {"a long password"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, _ = br.get("/authentication")
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestSignInThrottle(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signedIn(t)
	br := b.browser(t)
	_, body := br.get("/sign-in")
	token := csrf(t, body)
	var resp *http.Response
	for i := 0; i < 10; i++ {
		resp, body = br.post("/sign-in", url.Values{"csrf": {token}, "email": {"ada@example.com"}, "password": {"wrong password"}})
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		require.Contains(t, body, "The e-mail address or the password is wrong.")
	}
	resp, body = br.post("/sign-in", url.Values{"csrf": {token}, "email": {"ada@example.com"}, "password": {"a long password"}})
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "locked even with the right password")
	require.Contains(t, body, "Too many failed sign-ins")
	b.clock.Add(16 * time.Minute)
	resp, _ = br.post("/sign-in", url.Values{"csrf": {token}, "email": {"ada@example.com"}, "password": {"a long password"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	b := setup(t)
	br := b.signedIn(t)
	resp, body := br.post("/authentication/api-keys", url.Values{"name": {"no token"}, "permissions": {"price.read"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.Contains(t, body, "did not come from keygate")
	resp, _ = br.post("/authentication/api-keys", url.Values{"csrf": {"forged"}, "name": {"forged"}, "permissions": {"price.read"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	_, body = br.get("/authentication")
	require.Contains(t, body, "No API keys yet", "nothing was created")

	anon := b.browser(t)
	resp, _ = anon.post("/sign-in", url.Values{"email": {"ada@example.com"}, "password": {"a long password"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "sign-in needs its double-submit token too")
}

func TestKeysPages(t *testing.T) {
	t.Parallel()
	b := setup(t)
	br := b.signedIn(t)
	_, body := br.get("/authentication/api-keys/new")
	require.Contains(t, body, `type="date"`)
	resp, body := br.post("/authentication/api-keys", url.Values{"csrf": {csrf(t, body)}, "name": {"<script>alert(1)</script>"}, "permissions": {"customer.read"}, "all": {"read"}})
	require.Equal(t, http.StatusCreated, resp.StatusCode, body)
	require.Regexp(t, `spellcheck="false">pdl_sdbx_apikey_[a-z\d]{26}_[a-zA-Z\d]{22}_[a-zA-Z\d]{3}</textarea>`, body)
	require.Contains(t, body, "&lt;script&gt;alert(1)&lt;/script&gt;")
	require.NotContains(t, body, "<script>alert(1)</script>")

	_, body = br.get("/authentication")
	require.Contains(t, body, "&lt;script&gt;alert(1)&lt;/script&gt;")
	require.Regexp(t, `pdl_sdbx_apikey_[a-z\d]{10}\*\*\*\*`, body)
	require.Contains(t, body, "Active")
	id := regexp.MustCompile(`data-key-id="(apikey_[a-z\d]{26})"`).FindStringSubmatch(body)[1]

	_, body = br.get("/authentication/api-keys/" + id + "/revoke")
	resp, body = br.post("/authentication/api-keys/"+id+"/revoke", url.Values{"csrf": {csrf(t, body)}, "confirm": {"wrong name"}})
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, body, "doesn&#39;t match")
	resp, _ = br.post("/authentication/api-keys/"+id+"/revoke", url.Values{"csrf": {csrf(t, body)}, "confirm": {"<script>alert(1)</script>"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = br.get("/authentication")
	require.Contains(t, body, "Recently revoked")
	require.Contains(t, body, "Reactivate")

	other, err := b.svc.CreateAccount(b.ctx, keygate.AccountCreate{Environment: keygate.Sandbox, Name: "Other"})
	require.NoError(t, err)
	theirs, _, err := b.svc.CreateAPIKey(b.ctx, app.OperatorScope(), other.ID, keygate.APIKeyCreate{Name: "theirs", Permissions: []keygate.Permission{"price.read"}})
	require.NoError(t, err)
	resp, _ = br.get("/authentication/api-keys/" + theirs.ID + "/edit")
	require.Equal(t, http.StatusNotFound, resp.StatusCode, "another account's key does not exist here")
	require.False(t, strings.Contains(body, theirs.ID))
}

func TestKeyPage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	br := b.signedIn(t)
	_, body := br.get("/authentication")
	sess := csrf(t, body)
	resp, _ := br.post("/authentication/api-keys", url.Values{"csrf": {sess}, "name": {"Usage"}, "permissions": {"price.read"}})
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	_, body = br.get("/authentication")
	id := regexp.MustCompile(`data-key-id="(apikey_[a-z\d]{26})"`).FindStringSubmatch(body)[1]

	now := b.clock.Now()
	require.NoError(t, b.svc.Store.Update(b.ctx, func(tx keygate.Tx) error {
		return tx.TouchAPIKeys(b.ctx, []keygate.LastUse{{ID: id, At: now.Add(-3 * time.Hour), Requests: 40}, {ID: id, At: now, Requests: 2}})
	}))
	require.NoError(t, b.svc.Store.Update(b.ctx, func(tx keygate.Tx) error {
		return tx.TouchAPIKeys(b.ctx, []keygate.LastUse{{ID: id, At: now.Add(-3 * 24 * time.Hour), Requests: 100}, {ID: id, At: now.Add(-10 * 24 * time.Hour), Requests: 1000}})
	}))
	resp, body = br.get("/authentication/api-keys/" + id)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NotContains(t, body, "forbidden</p>", "no refusals, no forbidden count")
	require.NoError(t, b.svc.Store.Update(b.ctx, func(tx keygate.Tx) error {
		return tx.TouchAPIKeys(b.ctx, []keygate.LastUse{{ID: id, At: now.Add(-2 * time.Hour), Forbidden: 12}, {ID: id, At: now.Add(-3 * 24 * time.Hour), Forbidden: 5}})
	}))
	resp, body = br.get("/authentication/api-keys/" + id)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, `<span class="total">42</span> requests in the last 24 hours · <span class="forbidden">12</span> forbidden; at most 40 in one hour.`)
	require.Contains(t, body, "api_key.created")
	require.Equal(t, 24, strings.Count(body, "<rect "), "one bar an hour")
	require.Contains(t, body, ">Requests per hour</text>", "the requests axis is labelled")
	require.Contains(t, body, ">Time (UTC)</text>", "the time axis is labelled")
	require.Contains(t, body, `y="24">40</text>`, "the top of the requests axis")
	require.Contains(t, body, `height="176"`, "the busiest hour fills the plot")

	_, body = br.get("/authentication/api-keys/" + id + "?range=7d")
	require.Contains(t, body, `<span class="total">142</span> requests in the last 7 days · <span class="forbidden">17</span> forbidden; at most 100 in 6 hours.`)
	require.Equal(t, 28, strings.Count(body, "<rect "))
	require.Contains(t, body, ">Requests per 6 hours</text>")
	_, body = br.get("/authentication/api-keys/" + id + "?range=30d")
	require.Contains(t, body, `<span class="total">1,142</span> requests in the last 30 days · <span class="forbidden">17</span> forbidden; at most 1,000 in one day.`)
	require.Equal(t, 30, strings.Count(body, "<rect "))
	require.Contains(t, body, `aria-current="true">30 days</a>`)
}

func TestDestinationsAndEvents(t *testing.T) {
	t.Parallel()
	b := setup(t)
	br := b.signedIn(t)
	_, body := br.get("/notifications/new")
	token := csrf(t, body)
	resp, body := br.post("/notifications", url.Values{"csrf": {token}, "description": {"Ops"}, "type": {"url"}, "destination": {"ftp://nope"}, "events": {"api_key.revoked"}})
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Regexp(t, `aria-invalid="true" aria-describedby="destination-error">\s*<p class="field-error" id="destination-error">Must be an http or https URL.</p>`, body,
		"the message is next to its field")
	resp, _ = br.post("/notifications", url.Values{"csrf": {token}, "description": {"Ops hooks"}, "type": {"url"},
		"destination": {"https://hooks.example.com/k"}, "events": {"api_key.revoked", "api_key.expiring"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	page, done, _ := strings.Cut(resp.Header.Get("Location"), "?")
	require.Equal(t, "done=created", done)
	_, body = br.get(page + "?" + done)
	require.Contains(t, body, "The destination was created.", "a notice confirms it")
	require.Contains(t, body, "No deliveries yet.")
	require.Regexp(t, `id="secret" readonly rows="2" class="mono token" spellcheck="false">pdl_ntfset_[a-z\d]{26}_[a-zA-Z\d]{32}</textarea>`, body)
	require.Contains(t, body, `value="api_key.revoked" checked`)

	resp, _ = br.post(page, url.Values{"csrf": {token}, "description": {"Ops hooks (paused)"}, "destination": {"https://hooks.example.com/k"}, "events": {"api_key.revoked"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = br.get("/notifications")
	require.Contains(t, body, "Ops hooks (paused)")
	require.Regexp(t, `<td>1</td><td>No</td>`, body, "one event, inactive")

	resp, _ = br.post(page+"/delete", url.Values{"csrf": {token}})
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "not without the confirmation")
	resp, _ = br.post(page+"/delete", url.Values{"csrf": {token}, "confirm": {"on"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = br.get("/notifications")
	require.Contains(t, body, "No destinations yet")

	resp, _ = br.post("/authentication/api-keys", url.Values{"csrf": {token}, "name": {"k"}, "permissions": {"price.read"}})
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	_, body = br.get("/events")
	require.Contains(t, body, "api_key.created")
	_, body = br.get("/events?type=api_key.revoked")
	require.Contains(t, body, "No events of these types.")
}

// TestSecureCookies checks that cookies are Secure when the dashboard is
// served over HTTPS.
func TestSecureCookies(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tls := httptest.NewTLSServer(b.dash)
	defer tls.Close()
	jar, _ := cookiejar.New(nil)
	client := tls.Client()
	client.Jar = jar
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	token := mustSetupToken(t, b.dash)
	resp, err := client.Get(tls.URL + "/setup?token=" + token)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		require.True(t, c.Secure, c.Name)
	}
	resp, err = client.PostForm(tls.URL+"/setup", url.Values{"csrf": {csrf(t, string(body))}, "token": {token}, "account": {"Acme"}, "email": {"ada@example.com"}, "password": {"a long password"}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	found := false
	for _, c := range resp.Cookies() {
		if c.Name == "keygate_session" {
			found = true
			require.True(t, c.Secure)
			require.True(t, c.HttpOnly)
		}
	}
	require.True(t, found)
}

// TestSetupLinkExpires checks that the first-run link stops working after
// dashboard.SetupLifetime.
func TestSetupLinkExpires(t *testing.T) {
	t.Parallel()
	b := setup(t)
	token := mustSetupToken(t, b.dash)
	br := b.browser(t)
	resp, _ := br.get("/setup?token=" + token)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	b.clock.Add(dashboard.SetupLifetime)
	resp, _ = br.get("/setup?token=" + token)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = br.get("/setup?token=nope")
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
}

func TestClientTokensTab(t *testing.T) {
	t.Parallel()
	b := setup(t)
	br := b.signedIn(t)
	_, body := br.get("/authentication/client-tokens")
	token := csrf(t, body)
	require.Contains(t, body, "No client-side tokens yet")
	resp, _ := br.post("/authentication/client-tokens", url.Values{"csrf": {token}, "name": {"Pricing page"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = br.get("/authentication/client-tokens")
	require.Regexp(t, `spellcheck="false">test_[a-zA-Z0-9]{27}</textarea>`, body)
	id := regexp.MustCompile(`data-token-id="(ctkn_[a-z\d]{26})"`).FindStringSubmatch(body)[1]
	resp, _ = br.post("/authentication/client-tokens/"+id+"/revoke", url.Values{"csrf": {token}})
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "not without the confirmation")
	resp, _ = br.post("/authentication/client-tokens/"+id+"/revoke", url.Values{"csrf": {token}, "confirm": {"on"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = br.get("/authentication/client-tokens")
	require.Contains(t, body, `<span class="status status-revoked">Revoked</span>`)
}

// mustSetupToken makes a set-up link's token on d.
func mustSetupToken(t testing.TB, d *dashboard.Server) string {
	t.Helper()
	token, err := d.NewSetupToken(context.Background())
	require.NoError(t, err)
	return token
}
