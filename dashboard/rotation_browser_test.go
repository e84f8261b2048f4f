package dashboard_test

import (
	"context"
	"regexp"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
)

// TestBrowserRotation rotates a key in a real Chromium: Rotate is in the
// menu of rotatable keys only; its dialog takes the grace period; the new
// key is shown once with Copy and works at once on the API; the key's page
// says which secret is current, whether a rotation is pending and when the
// old secret stops.
func TestBrowserRotation(t *testing.T) {
	b := newBrowserBundle(t)
	w := b.w
	ctx := context.Background()
	acc := b.setUpInBrowser(t)
	k, oldToken, err := b.svc.CreateAPIKey(ctx, app.AccountScope(acc), acc, keygate.APIKeyCreate{Name: "AWS", Permissions: []keygate.Permission{"price.read"}, Rotatable: true})
	require.NoError(t, err)
	plain, _, err := b.svc.CreateAPIKey(ctx, app.AccountScope(acc), acc, keygate.APIKeyCreate{Name: "Plain", Permissions: []keygate.Permission{"price.read"}})
	require.NoError(t, err)

	w.open("keys", "/authentication")
	plainRow := `tr[data-key-id="` + plain.ID + `"]`
	require.False(t, value(w, "no Rotate for a plain key", chromedp.Evaluate[bool](`!!document.querySelector('`+plainRow+` a.menu-item[href$="/rotate"]')`)))
	row := `tr[data-key-id="` + k.ID + `"]`
	w.step("open the row menu", chromedp.Click(row+` details[data-menu] > summary`), chromedp.WaitVisible(row+` .menu[open] a.menu-item[href$="/rotate"]`))
	w.step("choose Rotate", chromedp.Click(row+` a.menu-item[href$="/rotate"]`), chromedp.WaitVisible("#grace"), ready())
	require.Equal(t, "300", value(w, "default grace", chromedp.Evaluate[string](`document.querySelector('#grace').value`)))
	w.check("rotation-01-dialog")
	w.step("one minute of grace, rotate", chromedp.SetValue("#grace", "60"), chromedp.Click(`form[action$="/rotate"] button[type=submit]`), chromedp.WaitVisible("#new-key"), ready())
	newToken := value(w, "the new key", chromedp.Evaluate[string](`document.querySelector('#new-key').value`))
	require.Regexp(t, regexp.MustCompile(`^pdl_sdbx_apikey_`+k.ID[len("apikey_"):]+`_[a-zA-Z\d]{22}_[a-zA-Z\d]{3}$`), newToken)
	require.True(t, value(w, "a Copy button", chromedp.Evaluate[bool](`!!document.querySelector('button[data-copy="new-key"]')`)))
	require.Contains(t, value(w, "the grace said", chromedp.Text("dialog")), "then for 1 minute")
	w.check("rotation-02-new-key")

	w.open("the key's page, pending", "/authentication/api-keys/"+k.ID)
	require.Contains(t, value(w, "pending", chromedp.Text("#rotation-pending")), "waits for its first use")
	require.Contains(t, value(w, "first secret", chromedp.Text("#rotation-current")), "first secret")

	require.Equal(t, 200, b.callAPI(t, newToken, "/event-types"), "the new key works at once")
	require.Equal(t, 200, b.callAPI(t, oldToken, "/event-types"), "the old one during the grace")
	w.open("the key's page, completed", "/authentication/api-keys/"+k.ID)
	require.Equal(t, "None", value(w, "nothing pending", chromedp.Text("#rotation-pending")))
	require.Contains(t, value(w, "current", chromedp.Text("#rotation-current")), "in use since")
	require.Contains(t, value(w, "old secret", chromedp.Text("#rotation-old")), "Works until")
	w.check("rotation-03-key-page")

	w.open("rotate again", "/authentication/api-keys/"+k.ID+"/rotate")
	w.step("no grace, rotate", chromedp.SetValue("#grace", "0"), chromedp.Click(`form[action$="/rotate"] button[type=submit]`), chromedp.WaitVisible("#new-key"), ready())
	w.open("the key's page, ended grace", "/authentication/api-keys/"+k.ID)
	require.Contains(t, value(w, "old secret stopped", chromedp.Text("#rotation-old")), "Stopped working", "a new rotation ended the running grace")
	require.Equal(t, 403, b.callAPI(t, oldToken, "/event-types"))
}
