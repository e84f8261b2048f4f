package dashboard_test

import (
	"context"
	"net/netip"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
)

// TestBrowserKeyControls sets a key's limits in a real Chromium through
// the edit form's Limits part: a bad CIDR is shown next to its field and
// changes nothing; good values are saved, shown on the key's page, and in
// force on the API (the key is refused from the browser test's address).
func TestBrowserKeyControls(t *testing.T) {
	b := newBrowserBundle(t)
	w := b.w
	ctx := context.Background()
	acc := b.setUpInBrowser(t)
	k, token, err := b.svc.CreateAPIKey(ctx, app.AccountScope(acc), acc, keygate.APIKeyCreate{Name: "Limited", Permissions: []keygate.Permission{"price.read"}})
	require.NoError(t, err)
	require.Equal(t, 200, b.callAPI(t, token, "/event-types"))

	edit := "/authentication/api-keys/" + k.ID + "/edit"
	w.open("the edit form", edit)
	w.step("a bad CIDR", chromedp.SetValue("#allowed_ips", "10.0.0.300/8"), chromedp.Submit("#allowed_ips"), ready())
	require.Contains(t, value(w, "field error", chromedp.Evaluate[string](`document.querySelector('#allowed_ips').closest('fieldset').textContent`)), "10.0.0.300/8")
	got, err := b.svc.GetAPIKey(ctx, app.AccountScope(acc), k.ID)
	require.NoError(t, err)
	require.Empty(t, got.AllowedIPs, "a refused form changes nothing")
	w.check("controls-01-bad-cidr")

	w.open("the edit form again", edit)
	w.step("set the limits",
		chromedp.SetValue("#allowed_ips", "10.0.0.0/8\n2001:db8::/32"),
		chromedp.SetValue("#rate_requests", "5"),
		chromedp.SetValue("#rate_per", "second"),
		chromedp.SetValue("#credits", "10"),
		chromedp.Submit("#allowed_ips"), ready())
	w.open("the key's page", "/authentication/api-keys/"+k.ID)
	page := value(w, "page text", chromedp.Text("main"))
	require.Contains(t, page, "10.0.0.0/8")
	require.Contains(t, page, "2001:db8::/32")
	require.Contains(t, page, "5 requests per second")
	require.Contains(t, page, "10 left")
	w.check("controls-02-key-page")

	got, err = b.svc.GetAPIKey(ctx, app.AccountScope(acc), k.ID)
	require.NoError(t, err)
	require.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}, got.AllowedIPs)
	require.Equal(t, 403, b.callAPI(t, token, "/event-types"), "loopback is outside the list")
}
