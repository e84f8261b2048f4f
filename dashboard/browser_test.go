package dashboard_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/api"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/auth"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/dashboard"
	"github.com/keygate/keygate/sqlite"
	"github.com/keygate/keygate/storetest"
)

// browserBundle is the dashboard beside the API it manages keys for.
type browserBundle struct {
	svc    *app.Service
	dash   *dashboard.Server
	apiURL string
	w      *walker
}

func newBrowserBundle(t *testing.T) *browserBundle {
	exe := chromium(t)
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), sqlite.FileName))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	runCtx, stop := context.WithCancel(ctx)
	t.Cleanup(stop)
	var svc *app.Service
	v := auth.New(auth.Config{Store: db, FlushInterval: 100 * time.Millisecond, CompleteRotation: func(ctx context.Context, keyID, rotationID string) error {
		_, err := svc.CompleteRotation(ctx, keyID, rotationID)
		return err
	}})
	go v.Run(runCtx)
	sealer, err := credential.NewSealer(credential.NewSealKey())
	require.NoError(t, err)
	svc = &app.Service{Store: db, Now: time.Now, Changed: v.Invalidate, Sealer: sealer}
	apiSrv := httptest.NewServer(api.NewServer(api.Config{Environment: keygate.Sandbox}, svc, v, nil))
	t.Cleanup(apiSrv.Close)
	d := dashboard.NewServer(dashboard.Config{Environment: keygate.Sandbox, OtherDashboardURL: "http://live.keygate.test"}, svc)
	dash := httptest.NewServer(d)
	t.Cleanup(dash.Close)
	return &browserBundle{svc: svc, dash: d, apiURL: apiSrv.URL, w: &walker{t: t, browser: newBrowser(t, exe), base: dash.URL, shots: artifacts(t)}}
}

// callAPI calls the API with a key and returns the status.
func (b *browserBundle) callAPI(t *testing.T, token, path string) int {
	req, _ := http.NewRequest("GET", b.apiURL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// TestBrowser uses the dashboard as a person would, in a real Chromium,
// beside the API it manages keys for: every page is checked at 1280 and
// 390 px for overflow, hidden action buttons and accessibility, and
// photographed into the artifacts directory.
func TestBrowser(t *testing.T) {
	b := newBrowserBundle(t)
	w := b.w
	var dialogs atomic.Int64 // a script's alert would be an XSS
	require.NoError(t, chromedp.Listen(w.browser, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			dialogs.Add(1)
		}
	}))

	// First run: the set-up link, then the empty API keys tab.
	w.open("open the set-up link", "/setup?token="+mustSetupToken(t, b.dash))
	w.check("01-setup")
	w.step("set up", chromedp.SendKeys("#account", "Acme"), chromedp.SendKeys("#email", "ada@example.com"),
		chromedp.SendKeys("#password", "a long password"), chromedp.Click(`button[type=submit]`), chromedp.WaitVisible(`//h2[text()="No API keys yet"]`), ready())
	w.check("02-keys-empty")
	require.Equal(t, "http://live.keygate.test/authentication", value(w, "switch", chromedp.Evaluate[string](`document.querySelector('.env-switch').href`)))

	// Sign out, and in again with the form.
	w.step("sign out", chromedp.Click(`//button[text()="Sign out"]`), chromedp.WaitVisible("#email"), ready())
	w.check("03-sign-in")
	w.step("sign in", chromedp.SendKeys("#email", "ada@example.com"), chromedp.SendKeys("#password", "a long password"),
		chromedp.Click(`button[type=submit]`), chromedp.WaitVisible(`a.button.primary`), ready())

	// A new key with "All read": the shortcut ticks every read box and
	// nothing else; the key is shown once, and copied.
	w.step("new key", chromedp.Click(`//a[text()="New API key"]`), chromedp.WaitVisible("#name"), ready())
	w.step("tick all read", chromedp.Click(`input[data-all="read"]`))
	counts := value(w, "count ticked", chromedp.Evaluate[[]int](`[
	  document.querySelectorAll('input[data-kind="read"]:checked').length, document.querySelectorAll('input[data-kind="read"]').length,
	  document.querySelectorAll('input[data-kind="write"]:checked, input[data-kind="manage"]:checked').length]`))
	require.Equal(t, counts[1], counts[0], "All read ticks every read box")
	require.Zero(t, counts[2], "and no write box")
	w.step("untick one", chromedp.Click(`input[value="report.read"]`))
	require.False(t, value(w, "shortcut follows", chromedp.Evaluate[bool](`document.querySelector('input[data-all="read"]').checked`)),
		"All read shows unticked once a read box is")
	w.step("tick all read again", chromedp.Click(`input[data-all="read"]`))
	w.check("04-key-new")
	w.step("save key", chromedp.SendKeys("#name", "CRM sync"), chromedp.Click(`button[type=submit].primary`), chromedp.WaitVisible("#new-key"), ready())
	token := value(w, "read key", chromedp.Value("#new-key"))
	require.Regexp(t, `^pdl_sdbx_apikey_[a-z\d]{26}_[a-zA-Z\d]{22}_[a-zA-Z\d]{3}$`, token)
	w.step("copy", chromedp.Click(`button[data-copy]`), chromedp.WaitVisible(`//button[text()="Copied"]`))
	require.Contains(t, value(w, "notice", chromedp.Text(".notice")), "“CRM sync” was created.")
	w.check("05-key-created")
	require.Equal(t, http.StatusOK, b.callAPI(t, token, "/event-types"), "the new key works against the API")

	// The list summarises the permissions; the list shows on focus.
	w.open("list", "/authentication")
	require.Equal(t, "Read all", value(w, "summary", chromedp.Text(`.perm-summary`)))
	w.step("focus summary", chromedp.Focus(`.perm-summary`), chromedp.WaitVisible(`.tip`))
	require.Contains(t, value(w, "tooltip", chromedp.Text(`.tip`)), "Customers: read")
	w.check("06-keys")

	// Keyboard only: open the row's menu, move to Revoke, confirm by typing
	// the name; then reactivate from the menu the same way.
	w.keyboardMenu("/authentication", "Revoke", "#confirm")
	w.check("07-key-revoke")
	w.step("confirm revoke", chromedp.SendKeys("#confirm", "CRM sync"), chromedp.KeyEvent("\r"), chromedp.WaitVisible(`.notice`), ready())
	require.Contains(t, value(w, "revoked notice", chromedp.Text(".notice")), "was revoked")
	require.Contains(t, value(w, "time left", chromedp.Text(`td .left`)), "left to reactivate")
	require.Equal(t, http.StatusForbidden, b.callAPI(t, token, "/event-types"), "a revoked key is refused")
	w.step("open the menu", chromedp.Click(`details[data-menu] > summary`), chromedp.WaitVisible(`.menu[open] .menu-item`))
	w.check("08-keys-recently-revoked-menu")
	for _, width := range []int64{360, 1920} { // the menu of a recently revoked key is never clipped, narrow or wide
		w.step(fmt.Sprintf("menu at %d px", width), chromedp.EmulateViewport(width, 900), chromedp.Navigate(w.base+"/authentication"), ready(),
			chromedp.Click(`details[data-menu] > summary`), chromedp.WaitVisible(`.menu[open] .menu-item`))
		w.noOverflow(fmt.Sprintf("the open menu at %d px", width))
	}
	w.step("back to 1280 px", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(w.base+"/authentication"), ready())
	w.step("close the menu", chromedp.KeyEvent(kb.Escape))
	require.False(t, value(w, "closed", chromedp.Evaluate[bool](`document.querySelector('details[data-menu]').open`)), "Escape closes the menu")
	w.keyboardMenu("/authentication", "Reactivate", ".notice")
	require.Contains(t, value(w, "reactivated notice", chromedp.Text(".notice")), "was reactivated")
	require.Equal(t, http.StatusOK, b.callAPI(t, token, "/event-types"), "a reactivated key works again")

	// Edit the permissions: the API answers forbidden.
	w.keyboardMenu("/authentication", "Edit", "#name")
	w.step("edit", chromedp.Click(`input[data-all="read"]`), chromedp.Click(`input[value="price.read"]`),
		chromedp.Click(`button[type=submit].primary`), chromedp.WaitVisible(`.notice`), ready())
	require.Contains(t, value(w, "saved notice", chromedp.Text(".notice")), "were saved")
	require.Equal(t, http.StatusForbidden, b.callAPI(t, token, "/api-keys"))
	require.Equal(t, http.StatusOK, b.callAPI(t, token, "/event-types"))

	// The key's own page: its details, events and usage.
	time.Sleep(300 * time.Millisecond) // the verifier writes uses every 100 ms here
	w.step("key page", chromedp.Click(`//a[text()="CRM sync"]`), chromedp.WaitVisible("figcaption"), ready())
	require.Contains(t, value(w, "events", chromedp.Text("main")), "api_key.revoked")
	w.check("09-key-page")

	// A name that is markup is shown as text, and runs nothing.
	xss := "<script>alert(1)</script><img src=x onerror=alert(2)>"
	w.open("new key", "/authentication/api-keys/new")
	w.step("xss key", chromedp.SendKeys("#name", xss), chromedp.Click(`input[value="price.read"]`), chromedp.Click(`button[type=submit].primary`),
		chromedp.WaitVisible("#new-key"))
	w.open("list", "/authentication")
	require.Contains(t, value(w, "names", chromedp.Text("table")), xss)
	require.Zero(t, dialogs.Load(), "no script ran")

	// 120 keys: 50 a page, and one found by name.
	first := value(w, "a key's id", chromedp.Evaluate[string](`document.querySelector('tr[data-key-id]').dataset.keyId`))
	k, err := b.svc.GetAPIKey(context.Background(), app.OperatorScope(), first)
	require.NoError(t, err)
	for i := range 118 {
		_, _, err := b.svc.CreateAPIKey(context.Background(), app.OperatorScope(), k.AccountID,
			keygate.APIKeyCreate{Name: fmt.Sprintf("Service %03d", i), Permissions: []keygate.Permission{"price.read"}})
		require.NoError(t, err)
	}
	w.open("120 keys", "/authentication")
	require.Equal(t, 50, value(w, "rows", chromedp.Evaluate[int](`document.querySelectorAll('tr[data-key-id]').length`)))
	w.step("search", chromedp.SendKeys("#q", "service 077"), chromedp.KeyEvent("\r"), chromedp.WaitVisible(`//p[contains(., "1 of 120 keys match")]`), ready())
	require.Equal(t, "Service 077", value(w, "found", chromedp.Text(`td.name a`)))
	w.check("10-keys-search")
	w.step("next page", chromedp.Navigate(w.base+"/authentication"), ready(), chromedp.Click(`a[rel=next]`), chromedp.WaitVisible(`//span[text()="Page 2 of 3"]`), ready())
	w.check("11-keys-page-2")

	// A webhook destination, its secret shown with a Copy button; the events.
	w.open("destinations", "/notifications")
	w.step("new destination", chromedp.Click(`//a[text()="New destination"]`), chromedp.WaitVisible("#destination"), ready(),
		chromedp.SendKeys("#description", "Ops hooks"), chromedp.SendKeys("#destination", "https://hooks.example.com/keygate"),
		chromedp.Click(`input[value="api_key.revoked"]`), chromedp.Click(`button[type=submit].primary`), chromedp.WaitVisible("#secret"), ready())
	require.Regexp(t, `^pdl_ntfset_[a-z\d]{26}_[a-zA-Z\d]{32}$`, value(w, "secret", chromedp.Value("#secret")))
	setting := strings.TrimPrefix(value(w, "destination's path", chromedp.Evaluate[string](`location.pathname`)), "/notifications/")
	w.keyboardMenu("/authentication?q=Service+001", "Revoke", "#confirm")
	w.step("confirm", chromedp.SendKeys("#confirm", "Service 001"), chromedp.KeyEvent("\r"), chromedp.WaitVisible(".notice"))
	failDeliveries(t, b.svc, k.AccountID, setting)
	w.open("the destination's deliveries", "/notifications/"+setting)
	require.Equal(t, "Failed", value(w, "failed delivery", chromedp.Text(`tr[data-delivery-id] .status`)))
	w.check("12-destination")
	w.step("replay", chromedp.Click(`//button[text()="Replay"]`), chromedp.WaitVisible(`.notice`), ready())
	require.Equal(t, 2, value(w, "deliveries", chromedp.Evaluate[int](`document.querySelectorAll('tr[data-delivery-id]').length`)))
	w.check("13-destination-replayed")
	w.step("send a test event", chromedp.Click(`//button[text()="Send test event"]`),
		chromedp.WaitVisible(`//*[contains(@class, "notice") and contains(., "A test event was sent")]`), ready())
	require.Equal(t, 3, value(w, "deliveries", chromedp.Evaluate[int](`document.querySelectorAll('tr[data-delivery-id]').length`)))
	require.Equal(t, "notification_setting.test", value(w, "the newest delivery's event", chromedp.Text(`tr[data-delivery-id] td[data-label="Event"] code`)))

	// Events, filtered by two types, each linked to what it is about.
	w.open("events", "/events")
	w.step("filter events", chromedp.Click(`input[value="api_key.revoked"]`), chromedp.Click(`input[value="api_key.updated"]`),
		chromedp.Click(`//button[text()="Filter"]`), chromedp.WaitVisible(`//a[text()="Show every type"]`), ready())
	types := value(w, "event types", chromedp.Evaluate[[]string](`[...new Set([...document.querySelectorAll('table.events td.name code')].map(c => c.textContent))].sort()`))
	require.Equal(t, []string{"api_key.revoked", "api_key.updated"}, types)
	w.check("14-events")
	w.step("follow an event", chromedp.Click(`table.events td[data-label="About"] a`), chromedp.WaitVisible("#usage-title"), ready())

	// The client-side tokens tab: create, copy; readable at 390 px.
	w.open("client tokens", "/authentication/client-tokens")
	w.step("new client token", chromedp.SendKeys("#ct-name", "Pricing page"), chromedp.Click(`button[type=submit].primary`),
		chromedp.WaitVisible(`//button[text()="Copy"]`), ready(), chromedp.Click(`//button[text()="Copy"]`), chromedp.WaitVisible(`//button[text()="Copied"]`))
	w.check("15-client-tokens")

	// The keyboard alone reaches "New API key" and opens it.
	w.open("keyboard", "/authentication")
	w.step("keyboard new key", chromedp.Focus(`a.button.primary`), chromedp.KeyEvent("\r"), chromedp.WaitVisible("#name"))
	url := value(w, "location", chromedp.Location())
	require.True(t, strings.HasSuffix(url, "/authentication/api-keys/new"), url)
	t.Logf("screenshots in %s", w.shots)
}

// failDeliveries marks every delivery of a destination failed after three
// attempts, the last answered 500, as the dispatcher records them.
func failDeliveries(t *testing.T, svc *app.Service, accountID, settingID string) {
	(&bundle{ctx: context.Background(), svc: svc, clock: storetest.NewClock(time.Now())}).failDeliveries(t, accountID, settingID)
}

// keyboardMenu opens the first row's "…" menu with the keyboard alone and
// follows its item named item to the page that shows landsOn: Tab to the menu button, Enter to open it
// (focus moves to the first item), the arrow keys to the item, Enter.
func (w *walker) keyboardMenu(path, item, landsOn string) {
	w.t.Helper()
	w.open("list for the menu", path)
	w.step("focus the menu button", chromedp.Focus(`tr[data-key-id] details[data-menu] > summary`))
	expanded := func() bool {
		return value(w, "menu state", chromedp.Evaluate[bool](`document.querySelector('tr[data-key-id] details[data-menu]').open`))
	}
	require.False(w.t, expanded())
	w.step("open the menu with Enter", chromedp.KeyEvent("\r"), chromedp.WaitVisible(`.menu[open] .menu-item`))
	require.True(w.t, expanded(), "Enter opens the menu")
	focus := value(w, "focus ring", chromedp.Evaluate[string](`(() => { const s = getComputedStyle(document.activeElement);
	  return document.activeElement.matches(':focus-visible') && s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2 ? 'visible' : 'hidden: ' + s.outlineStyle + ' ' + s.outlineWidth })()`))
	require.Equal(w.t, "visible", focus, "the focused menu item shows a focus ring")
	for i := 0; i < 6; i++ {
		focused := value(w, "focused item", chromedp.Evaluate[string](`document.activeElement.textContent.trim()`))
		if focused == item {
			w.step("follow "+item, chromedp.KeyEvent("\r"), chromedp.WaitVisible(landsOn), ready())
			return
		}
		w.step("arrow down", chromedp.KeyEvent(kb.ArrowDown))
	}
	w.t.Fatalf("the menu has no item %q", item)
}

// setUpInBrowser sets the dashboard up in the browser with the set-up link
// (account "Acme", user ada@example.com), waits for the empty API keys tab
// and returns the new account's ID.
func (b *browserBundle) setUpInBrowser(t *testing.T) string {
	b.w.open("open the set-up link", "/setup?token="+mustSetupToken(t, b.dash))
	b.w.step("set up", chromedp.SendKeys("#account", "Acme"), chromedp.SendKeys("#email", "ada@example.com"),
		chromedp.SendKeys("#password", "a long password"), chromedp.Click(`button[type=submit]`), chromedp.WaitVisible(`//h2[text()="No API keys yet"]`), ready())
	accounts, _, err := b.svc.ListAccounts(context.Background(), keygate.AccountFilter{})
	require.NoError(t, err)
	return accounts[0].ID
}
