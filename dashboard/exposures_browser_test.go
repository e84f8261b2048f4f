package dashboard_test

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
)

// TestBrowserExposures walks the exposures in a real Chromium: a banner on
// the API keys tab while a high-risk exposure is unseen, "View exposures"
// in the key's row menu with risk, detection, source, a link to the
// reference and the action taken; viewing clears the banner; the key's
// page shows them too; a low-risk exposure says nothing was done.
func TestBrowserExposures(t *testing.T) {
	b := newBrowserBundle(t)
	w := b.w
	ctx := context.Background()
	acc := b.setUpInBrowser(t)
	create := func(name string) (*keygate.APIKey, string) {
		k, token, err := b.svc.CreateAPIKey(ctx, app.AccountScope(acc), acc, keygate.APIKeyCreate{Name: name, Permissions: []keygate.Permission{"price.read"}})
		require.NoError(t, err)
		return k, token
	}
	leaked, leakedToken := create("Leaked in CI")
	old, oldToken := create("Old key")
	_, err := b.svc.RevokeAPIKey(ctx, app.AccountScope(acc), old.ID)
	require.NoError(t, err)
	_, err = b.svc.ReportExposures(ctx, []keygate.ExposureReport{
		{Token: leakedToken, Source: keygate.SourceGitHub, Reference: "https://github.com/acme/app/blob/3f2a9c1/.env", Description: "Reported by GitHub secret scanning (content)"},
		{Token: oldToken, Source: keygate.SourceKeygateScan, Reference: "3f2a9c1b7e0d:deploy.sh:12", Description: "Found by keygate scan"},
	})
	require.NoError(t, err)
	require.Equal(t, 403, b.callAPI(t, leakedToken, "/event-types"))

	w.open("keys with an exposure", "/authentication")
	banner := value(w, "banner", chromedp.Text("#exposure-banner"))
	require.Contains(t, banner, "An API key was found exposed and revoked")
	require.Contains(t, banner, "View exposures of “Leaked in CI”")
	require.NotContains(t, banner, "Old key", "a low-risk exposure raises no banner")
	w.check("exposures-01-banner")

	row := `tr[data-key-id="` + leaked.ID + `"]`
	w.step("open the row menu", chromedp.Click(row+` details[data-menu] > summary`), chromedp.WaitVisible(row+` .menu[open] .menu-item`))
	w.step("view exposures", chromedp.Click(row+` a.menu-item[href$="/exposures"]`), chromedp.WaitVisible("table.exposures"), ready())
	cells := value(w, "cells", chromedp.Evaluate[[]string](`[...document.querySelectorAll('table.exposures tbody tr:first-child td')].map(td => td.textContent.trim())`))
	require.Len(t, cells, 5)
	require.Equal(t, "High", cells[0])
	require.Contains(t, cells[1], "UTC")
	require.Equal(t, "GitHub", cells[2])
	require.Contains(t, cells[3], "https://github.com/acme/app/blob/3f2a9c1/.env")
	require.Equal(t, "Revoked", cells[4])
	require.Equal(t, "https://github.com/acme/app/blob/3f2a9c1/.env", value(w, "reference link", chromedp.Evaluate[string](`document.querySelector('table.exposures a').href`)))
	w.check("exposures-02-page")

	w.open("keys after viewing", "/authentication")
	require.False(t, value(w, "banner gone", chromedp.Evaluate[bool](`!!document.querySelector('#exposure-banner')`)), "viewed: no banner")

	w.open("the key's page", "/authentication/api-keys/"+leaked.ID)
	require.Contains(t, value(w, "section", chromedp.Text("#exposures-title")), "Exposures")
	w.check("exposures-03-key-page")

	w.open("a low-risk exposure", "/authentication/api-keys/"+old.ID+"/exposures")
	cells = value(w, "low cells", chromedp.Evaluate[[]string](`[...document.querySelectorAll('table.exposures tbody tr:first-child td')].map(td => td.textContent.trim())`))
	require.Equal(t, "Low", cells[0])
	require.Equal(t, "keygate scan", cells[2])
	require.Contains(t, cells[3], "3f2a9c1b7e0d:deploy.sh:12")
	require.Equal(t, "None", cells[4])
	w.check("exposures-04-low")
}
