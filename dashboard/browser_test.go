package dashboard_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/api"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/auth"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/dashboard"
	"github.com/keygate/keygate/sqlite"
)

// chromium returns the browser to drive, or skips the test: Debian's
// chromium (KEYGATE_CHROMIUM overrides the path). With
// KEYGATE_REQUIRE_BROWSER=1, as in CI, a missing browser fails instead.
func chromium(t *testing.T) string {
	path := os.Getenv("KEYGATE_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := exec.LookPath(path); err != nil {
		if os.Getenv("KEYGATE_REQUIRE_BROWSER") == "1" {
			t.Fatalf("no browser at %s: install Debian's chromium", path)
		}
		t.Skipf("no browser at %s: install Debian's chromium (apt-get install chromium) to run the browser tests", path)
	}
	return path
}

// newBrowser starts a headless Chromium for t, closed when t ends, with
// the flags that keep it off the network (this machine has none) and a
// laptop's window.
func newBrowser(t *testing.T, exe string) context.Context {
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.WindowSize(1280, 900))...)
	browser, cancel := chromedp.NewContext(alloc)
	browser, cancelTimeout := context.WithTimeout(browser, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	return browser
}

// artifacts is where screenshots go: KEYGATE_ARTIFACTS_DIR, or a
// directory under the system's temporary one.
func artifacts(t *testing.T) string {
	dir := os.Getenv("KEYGATE_ARTIFACTS_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "keygate-screenshots")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// TestBrowser uses the dashboard as a person would, in a real Chromium,
// beside the API it manages keys for.
func TestBrowser(t *testing.T) {
	exe := chromium(t)
	shots := artifacts(t)
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), sqlite.FileName))
	require.NoError(t, err)
	defer db.Close()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	v := auth.New(auth.Config{Store: db, FlushInterval: 100 * time.Millisecond})
	go v.Run(runCtx)
	sealer, err := credential.NewSealer(credential.NewSealKey())
	require.NoError(t, err)
	svc := &app.Service{Store: db, Now: time.Now, Changed: v.Invalidate, Sealer: sealer}
	apiSrv := httptest.NewServer(api.NewServer(api.Config{Environment: keygate.Sandbox}, svc, v, nil))
	defer apiSrv.Close()
	d := dashboard.NewServer(dashboard.Config{Environment: keygate.Sandbox}, svc)
	dash := httptest.NewServer(d)
	defer dash.Close()

	browser := newBrowser(t, exe)
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		require.NoError(t, chromedp.Do(browser, actions...), what)
	}
	run("start", chromedp.Navigate("about:blank"))
	var dialogs atomic.Int64 // a script's alert would be an XSS
	require.NoError(t, chromedp.Listen(browser, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			dialogs.Add(1)
		}
	}))
	get := func(what string, a chromedp.Action[string]) string {
		t.Helper()
		v, err := chromedp.Run(browser, a)
		require.NoError(t, err, what)
		return v
	}
	// labelled checks that every visible field of the page has a label.
	labelled := func(where string) {
		t.Helper()
		n, err := chromedp.Run(browser, chromedp.Evaluate[int](`[...document.querySelectorAll('input:not([type=hidden]), select')].filter(i => i.labels.length === 0 && !i.closest('label')).length`))
		require.NoError(t, err)
		require.Zero(t, n, "every field of %s has a label", where)
	}
	shot := func(name string) {
		t.Helper()
		labelled(name)
		png, err := chromedp.Run(browser, chromedp.FullScreenshot(100))
		require.NoError(t, err, "screenshot "+name)
		require.NoError(t, os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644))
	}
	callAPI := func(token, path string) int {
		req, _ := http.NewRequest("GET", apiSrv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}

	// First run: the set-up link, then the empty API keys tab.
	run("set up", chromedp.Navigate(dash.URL+"/setup?token="+mustSetupToken(t, d)), chromedp.WaitVisible("#account"))
	shot("01-setup")
	run("fill set-up", chromedp.SendKeys("#account", "Acme"), chromedp.SendKeys("#email", "ada@example.com"),
		chromedp.SendKeys("#password", "a long password"), chromedp.Click(`button[type=submit]`), chromedp.WaitVisible(`a.button.primary`))
	shot("02-keys-empty")

	// Sign out, and in again with the form.
	run("sign out", chromedp.Click(`//button[text()="Sign out"]`), chromedp.WaitVisible("#email"))
	shot("02b-sign-in")
	run("sign in", chromedp.SendKeys("#email", "ada@example.com"), chromedp.SendKeys("#password", "a long password"),
		chromedp.Click(`button[type=submit]`), chromedp.WaitVisible(`a.button.primary`))

	// A new key, read from the dialog that shows it once.
	run("new key", chromedp.Click(`a.button.primary`), chromedp.WaitVisible("#name"))
	shot("03-key-new")
	run("fill key", chromedp.SendKeys("#name", "CRM sync"), chromedp.Click(`input[value="api_key.read"]`),
		chromedp.Click(`button[type=submit].primary`), chromedp.WaitVisible("#new-key"))
	token := get("read key", chromedp.Value("#new-key"))
	require.Regexp(t, `^pdl_sdbx_apikey_[a-z\d]{26}_[a-zA-Z\d]{22}_[a-zA-Z\d]{3}$`, token)
	run("copy", chromedp.Click(`button[data-copy]`), chromedp.WaitVisible(`//button[text()="Copied"]`))
	shot("04-key-created")
	require.Equal(t, http.StatusOK, callAPI(token, "/api-keys"), "the new key works against the API")

	// Revoke by typing the name: the API refuses the key; reactivate: it works.
	run("list", chromedp.Navigate(dash.URL+"/authentication"), chromedp.WaitVisible(`//a[text()="Revoke"]`))
	run("revoke", chromedp.Click(`//a[text()="Revoke"]`), chromedp.WaitVisible("#confirm"))
	shot("05-key-revoke")
	run("confirm", chromedp.SendKeys("#confirm", "CRM sync"), chromedp.Click(`button.danger`), chromedp.WaitVisible(`//span[text()="Recently revoked"]`))
	shot("06-keys-recently-revoked")
	require.Equal(t, http.StatusForbidden, callAPI(token, "/api-keys"), "a revoked key is refused")
	run("reactivate", chromedp.Click(`//button[text()="Reactivate"]`), chromedp.WaitVisible(`//span[text()="Active"]`))
	require.Equal(t, http.StatusOK, callAPI(token, "/api-keys"), "a reactivated key works again")

	// Edit the permissions: the API answers forbidden.
	run("edit", chromedp.Click(`//a[text()="Edit"]`), chromedp.WaitVisible(`input[value="api_key.read"]`),
		chromedp.Click(`input[value="api_key.read"]`), chromedp.Click(`input[value="price.read"]`),
		chromedp.Click(`button[type=submit].primary`), chromedp.WaitVisible(`//a[text()="Edit"]`))
	shot("07-keys-edited")
	require.Equal(t, http.StatusForbidden, callAPI(token, "/api-keys"))
	require.Equal(t, http.StatusOK, callAPI(token, "/event-types"))

	// The key's own page: its details, events and requests per hour.
	time.Sleep(300 * time.Millisecond) // the verifier writes uses every 100 ms here
	run("key page", chromedp.Click(`//a[text()="CRM sync"]`), chromedp.WaitVisible("figcaption"))
	caption := get("usage", chromedp.Text("figcaption"))
	require.Regexp(t, `^[1-9]\d* requests in the last 48 hours`, caption)
	require.Contains(t, get("events", chromedp.Text("main")), "api_key.revoked")
	shot("08-key-page")

	// A name that is markup is shown as text, and runs nothing.
	xss := "<script>alert(1)</script><img src=x onerror=alert(2)>"
	run("xss key", chromedp.Navigate(dash.URL+"/authentication/api-keys/new"), chromedp.WaitVisible("#name"),
		chromedp.SendKeys("#name", xss), chromedp.Click(`input[value="price.read"]`), chromedp.Click(`button[type=submit].primary`),
		chromedp.WaitVisible("#new-key"), chromedp.Navigate(dash.URL+"/authentication"), chromedp.WaitVisible("table"))
	names := get("names", chromedp.Text("table"))
	require.Contains(t, names, xss)
	require.Zero(t, dialogs.Load(), "no script ran")

	// A webhook destination, its secret shown with a Copy button; the events.
	run("destination", chromedp.Navigate(dash.URL+"/notifications"), chromedp.Click(`//a[text()="New destination"]`), chromedp.WaitVisible("#destination"),
		chromedp.SendKeys("#description", "Ops hooks"), chromedp.SendKeys("#destination", "https://hooks.example.com/keygate"),
		chromedp.Click(`input[value="api_key.revoked"]`), chromedp.Click(`button[type=submit].primary`), chromedp.WaitVisible("#secret"))
	require.Regexp(t, `^pdl_ntfset_[a-z\d]{26}_[a-zA-Z\d]{32}$`, get("secret", chromedp.Value("#secret")))
	shot("10-destination")
	run("events", chromedp.Navigate(dash.URL+"/events"), chromedp.WaitVisible("table"))
	require.Contains(t, get("event list", chromedp.Text("table")), "api_key.revoked")
	shot("11-events")

	// The client-side tokens tab: create, copy.
	run("client tokens", chromedp.Navigate(dash.URL+"/authentication"), chromedp.Click(`//a[text()="Client-side tokens"]`), chromedp.WaitVisible("#ct-name"),
		chromedp.SendKeys("#ct-name", "Pricing page"), chromedp.Click(`button[type=submit].primary`), chromedp.WaitVisible(`//button[text()="Copy"]`),
		chromedp.Click(`//button[text()="Copy"]`), chromedp.WaitVisible(`//button[text()="Copied"]`))
	shot("12-client-tokens")

	// A phone's width: the page does not overflow; the table scrolls in its box.
	run("phone", chromedp.EmulateViewport(390, 844), chromedp.Navigate(dash.URL+"/authentication"), chromedp.WaitVisible("table"))
	shot("09-keys-phone")
	overflow, err := chromedp.Run(browser, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
	require.NoError(t, err)
	require.False(t, overflow, "no horizontal scrolling of the page at 390 px")

	// The keyboard alone reaches "New API key" and opens it.
	run("keyboard", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(dash.URL+"/authentication"), chromedp.WaitVisible("table"),
		chromedp.Focus(`a.button.primary`), chromedp.KeyEvent("\r"), chromedp.WaitVisible("#name"))
	url := get("location", chromedp.Location())
	require.True(t, strings.HasSuffix(url, "/authentication/api-keys/new"), url)
	t.Logf("screenshots in %s", shots)
}
