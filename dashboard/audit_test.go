package dashboard_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
)

// TestAuditLogPage: the page lists the account's entries only (another
// account's never show, even filtered by their target), with the security
// headers of every page; a filter that can't be read is 400 with the
// problem shown, and changes nothing.
func TestAuditLogPage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	br := b.signedIn(t)
	other, err := b.svc.CreateAccount(b.ctx, keygate.AccountCreate{Environment: keygate.Sandbox, Name: "Other"})
	require.NoError(t, err)
	theirs, _, err := b.svc.CreateAPIKey(b.ctx, app.OperatorScope(), other.ID, keygate.APIKeyCreate{Name: "theirs", Permissions: []keygate.Permission{"price.read"}})
	require.NoError(t, err)

	resp, body := br.get("/audit-log")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Security-Policy"), "script-src 'self'")
	require.Contains(t, body, "account.set_up")
	require.Contains(t, body, "user.signed_in")
	require.NotContains(t, body, theirs.ID)
	_, body = br.get("/audit-log?target=" + theirs.ID)
	require.Contains(t, body, "No entries match these filters")

	for _, q := range []string{"actor_type=robot", "action=nope", "from=yesterday"} {
		resp, body = br.get("/audit-log?" + q)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, q)
		require.Contains(t, body, `class="field-error"`, q)
	}
	resp, _ = b.browser(t).get("/audit-log")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "signed out: to the sign-in page")
}

// TestBrowserAuditLog walks Developer tools > Audit log in a real
// Chromium: the set-up and sign-in made in the browser show with the user
// as actor and the browser's address and user agent; changes made by the
// operator and by an API key show with theirs; the action filter keeps one
// kind; the page passes the layout and accessibility checks.
func TestBrowserAuditLog(t *testing.T) {
	b := newBrowserBundle(t)
	w := b.w
	ctx := context.Background()
	acc := b.setUpInBrowser(t)
	k, _, err := b.svc.CreateAPIKey(ctx, app.OperatorScope(), acc, keygate.APIKeyCreate{Name: "CRM", Permissions: []keygate.Permission{"price.read"}})
	require.NoError(t, err)
	crmSync := "CRM sync"
	byKey := app.DelegatedScope(acc, k.ID, keygate.NewPermissionSet(k.Permissions), *k.ExpiresAt)
	_, err = b.svc.UpdateAPIKey(ctx, byKey, k.ID, keygate.APIKeyUpdate{Name: &crmSync})
	require.NoError(t, err)
	_, err = b.svc.RevokeAPIKey(ctx, app.OperatorScope(), k.ID)
	require.NoError(t, err)

	w.open("the events page", "/events")
	w.step("to the audit log", chromedp.Click(`nav.main-nav a[href="/audit-log"]`), chromedp.WaitVisible("table.audit"), ready())
	rows := value(w, "rows", chromedp.Evaluate[[][]string](auditRows))
	require.Len(t, rows, 5)
	byAction := map[string][]string{}
	for _, r := range rows {
		byAction[firstWord(r[0])] = r
	}
	setUp := byAction["account.set_up"]
	require.NotNil(t, setUp, "rows: %v", rows)
	require.Contains(t, setUp[1], "user usr_")
	require.Contains(t, setUp[3], "127.0.0.1")
	require.Contains(t, setUp[3], "HeadlessChrome")
	require.Contains(t, byAction["api_key.updated"][1], "api_key "+k.ID)
	require.Contains(t, byAction["api_key.revoked"][1], "operator")
	require.Equal(t, "api_key.revoked", firstWord(rows[0][0]), "newest first")
	w.check("audit-01-log")

	w.step("filter by action", chromedp.SetValue("#action", "api_key.revoked"), chromedp.Click(`form.audit-filter button[type=submit]`),
		chromedp.WaitVisible(`a[href="/audit-log"]`), ready())
	rows = value(w, "filtered rows", chromedp.Evaluate[[][]string](auditRows))
	require.Len(t, rows, 1)
	require.Equal(t, "api_key.revoked", firstWord(rows[0][0]))
	require.Equal(t, k.ID, value(w, "target link", chromedp.Evaluate[string](`document.querySelector('table.audit tbody a').textContent`)))
	w.check("audit-02-filtered")
}

// auditRows reads the audit table: per row, its action, then each cell's
// text.
const auditRows = `[...document.querySelectorAll('table.audit tbody tr')].map(tr => [tr.querySelector('td code').textContent, ...[...tr.querySelectorAll('td')].slice(1).map(td => td.textContent.trim())])`

// firstWord is the text up to the first space or line break.
func firstWord(s string) string {
	for i, r := range s {
		if r == ' ' || r == '\n' {
			return s[:i]
		}
	}
	return s
}
