package dashboard_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate/app"
)

var keyIDPattern = regexp.MustCompile(`data-key-id="(apikey_[a-z\d]{26})"`)

// createKey creates a key through the form and returns its ID.
func (br *browser) createKey(t *testing.T, form url.Values) string {
	t.Helper()
	_, body := br.get("/authentication/api-keys/new")
	form.Set("csrf", csrf(t, body))
	resp, body := br.post("/authentication/api-keys", form)
	require.Equal(t, http.StatusCreated, resp.StatusCode, body)
	require.Contains(t, body, "was created.", "a notice confirms the creation")
	_, body = br.get("/authentication?q=" + url.QueryEscape(form.Get("name")))
	m := keyIDPattern.FindStringSubmatch(body)
	require.NotNil(t, m)
	return m[1]
}

// row returns the list's row of a key.
func row(t *testing.T, body, id string) string {
	t.Helper()
	i := strings.Index(body, `data-key-id="`+id+`"`)
	require.GreaterOrEqual(t, i, 0, "no row for %s", id)
	end := strings.Index(body[i:], "</tr>")
	return body[i : i+end]
}

// TestPermissionSummaries: "All" ticks every permission but key management,
// "All read" every read one; the list summarises them instead of listing
// 37 names, with the plain names behind the summary.
func TestPermissionSummaries(t *testing.T) {
	t.Parallel()
	b := setup(t)
	br := b.signedIn(t)
	all := br.createKey(t, url.Values{"name": {"everything"}, "all": {"all"}})
	reads := br.createKey(t, url.Values{"name": {"reader"}, "all": {"read"}})
	some := br.createKey(t, url.Values{"name": {"some"}, "permissions": {"customer.read", "price.write", "product.read"}})
	one := br.createKey(t, url.Values{"name": {"one"}, "permissions": {"customer.write"}})
	manager := br.createKey(t, url.Values{"name": {"manager"}, "all": {"all"}, "permissions": {"api_key.write"}})

	k, err := b.svc.GetAPIKey(b.ctx, app.OperatorScope(), all)
	require.NoError(t, err)
	require.NotContains(t, k.Permissions, "api_key.write", "key management is never part of All")
	require.Len(t, k.Permissions, 36)
	k, err = b.svc.GetAPIKey(b.ctx, app.OperatorScope(), reads)
	require.NoError(t, err)
	for _, p := range k.Permissions {
		require.True(t, strings.HasSuffix(string(p), ".read"), p)
	}

	_, body := br.get("/authentication")
	require.Contains(t, row(t, body, all), `>All</button>`)
	require.Contains(t, row(t, body, reads), `>Read all</button>`)
	require.Contains(t, row(t, body, some), `>3 permissions</button>`)
	require.Contains(t, row(t, body, some), `Customers: read, Prices: write, Products: read`, "the list behind the summary")
	require.Contains(t, row(t, body, one), `>Customers: write</button>`)
	require.Contains(t, row(t, body, manager), `>All &#43; key management</button>`)
	require.Less(t, len(row(t, body, all)), 3000, "a key with every permission keeps a short row")

	_, body = br.get("/authentication/api-keys/new")
	require.Contains(t, body, `id="manage-warning"`, "key management carries a warning")
	require.Contains(t, body, "never part of “All”")
	require.Contains(t, body, `>Customers: read</label>`, "plain names")
}

// TestKeyMenuAndStatuses: each row's menu holds what the key's state allows;
// a recently revoked key says how long is left to reactivate it; every
// change is confirmed by a notice.
func TestKeyMenuAndStatuses(t *testing.T) {
	t.Parallel()
	b := setup(t)
	br := b.signedIn(t)
	id := br.createKey(t, url.Values{"name": {"CRM sync"}, "permissions": {"price.read"}})
	_, body := br.get("/authentication")
	r := row(t, body, id)
	require.Contains(t, r, `aria-label="Actions for CRM sync"`)
	require.Contains(t, r, `/edit">Edit</a>`)
	require.Contains(t, r, `/revoke">Revoke</a>`)
	require.NotContains(t, r, "Reactivate")
	require.Contains(t, r, `>Active<`)
	require.Contains(t, r, `>Never<`, "never used")

	_, body = br.get("/authentication/api-keys/" + id + "/revoke")
	require.Contains(t, body, "Requests with this key will fail at once", "the destructive action explains itself")
	resp, _ := br.post("/authentication/api-keys/"+id+"/revoke", url.Values{"csrf": {csrf(t, body)}, "confirm": {"CRM sync"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = br.get(resp.Header.Get("Location"))
	require.Contains(t, body, `role="status">“CRM sync” was revoked.`)
	r = row(t, body, id)
	require.Contains(t, r, ">Recently revoked<")
	require.Contains(t, r, "60 minutes left to reactivate")
	require.Contains(t, r, `/reactivate"><input type="hidden" name="csrf"`)
	require.NotContains(t, r, `/revoke">`)

	b.clock.Add(45 * time.Minute)
	_, body = br.get("/authentication")
	require.Contains(t, row(t, body, id), "15 minutes left to reactivate")
	resp, _ = br.post("/authentication/api-keys/"+id+"/reactivate", url.Values{"csrf": {csrf(t, body)}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = br.get(resp.Header.Get("Location"))
	require.Contains(t, body, "“CRM sync” was reactivated and works again.")
	require.Contains(t, row(t, body, id), ">Active<")

	_, body = br.get("/authentication/api-keys/" + id + "/edit")
	resp, _ = br.post("/authentication/api-keys/"+id, url.Values{"csrf": {csrf(t, body)}, "name": {"CRM sync 2"}, "permissions": {"price.read"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = br.get(resp.Header.Get("Location"))
	require.Contains(t, body, "Your changes to “CRM sync 2” were saved.")

	_, body = br.get("/authentication/api-keys/" + id + "/revoke")
	br.post("/authentication/api-keys/"+id+"/revoke", url.Values{"csrf": {csrf(t, body)}, "confirm": {"CRM sync 2"}})
	b.clock.Add(61 * time.Minute)
	_, body = br.get("/authentication")
	r = row(t, body, id)
	require.Contains(t, r, ">Revoked<")
	require.NotContains(t, r, "Reactivate", "not after 60 minutes")
	require.NotContains(t, r, "Edit")

	_, body = br.get("/authentication?done=revoked&key=apikey_01h0000000000000000000000")
	require.NotContains(t, body, `role="status"`, "no notice about a key that is not here")
}

// TestKeyListPages: 120 keys are shown 50 a page, newest first; a search
// by name finds one among them; the status filter keeps what it says.
func TestKeyListPages(t *testing.T) {
	t.Parallel()
	b := setup(t)
	br := b.signedIn(t)
	_, body := br.get("/authentication/api-keys/new")
	token := csrf(t, body)
	for i := range 120 {
		resp, _ := br.post("/authentication/api-keys", url.Values{"csrf": {token}, "name": {fmt.Sprintf("key %03d", i)}, "permissions": {"price.read"}})
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		b.clock.Add(time.Second)
	}
	_, body = br.get("/authentication")
	require.Len(t, keyIDPattern.FindAllString(body, -1), 50)
	require.Contains(t, body, "key 119", "newest first")
	require.Contains(t, body, "120 keys, showing 1–50")
	require.Contains(t, body, "Page 1 of 3")
	_, body = br.get("/authentication?page=3")
	require.Len(t, keyIDPattern.FindAllString(body, -1), 20)
	require.Contains(t, body, "key 000")
	require.Contains(t, body, `href="/authentication?page=2" rel="prev"`)

	_, body = br.get("/authentication?q=KEY+077")
	require.Len(t, keyIDPattern.FindAllString(body, -1), 1, "search is by name, case-insensitive")
	require.Contains(t, body, "1 of 120 keys match")
	_, body = br.get("/authentication?q=key+07")
	require.Len(t, keyIDPattern.FindAllString(body, -1), 10)

	id := keyIDPattern.FindStringSubmatch(body)[1]
	_, form := br.get("/authentication/api-keys/" + id + "/revoke")
	k, err := b.svc.GetAPIKey(b.ctx, app.OperatorScope(), id)
	require.NoError(t, err)
	br.post("/authentication/api-keys/"+id+"/revoke", url.Values{"csrf": {csrf(t, form)}, "confirm": {k.Name}})
	_, body = br.get("/authentication?status=recently_revoked")
	require.Equal(t, []string{`data-key-id="` + id + `"`}, keyIDPattern.FindAllString(body, -1))
	_, body = br.get("/authentication?status=active&q=key+07")
	require.Len(t, keyIDPattern.FindAllString(body, -1), 9)
	_, body = br.get("/authentication?q=nothing+like+it")
	require.Contains(t, body, "No key matches.")
}

// TestExpiryStatuses: a key within 7 days of its expiry is "Expiring soon"
// and can still be edited and revoked; past it, "Expired", with nothing in
// its menu.
func TestExpiryStatuses(t *testing.T) {
	t.Parallel()
	b := setup(t)
	br := b.signedIn(t)
	tomorrow := b.clock.Now().UTC().AddDate(0, 0, 1).Format("2006-01-02")
	id := br.createKey(t, url.Values{"name": {"short-lived"}, "permissions": {"price.read"}, "expires_on": {tomorrow}})
	_, body := br.get("/authentication")
	r := row(t, body, id)
	require.Contains(t, r, ">Expiring soon<")
	require.Contains(t, r, `/revoke">Revoke</a>`)
	_, body = br.get("/authentication?status=expiring")
	require.Equal(t, []string{`data-key-id="` + id + `"`}, keyIDPattern.FindAllString(body, -1))

	b.clock.Add(3 * 24 * time.Hour) // the session has ended too: sign in again
	_, body = br.get("/sign-in")
	resp, _ := br.post("/sign-in", url.Values{"csrf": {csrf(t, body)}, "email": {"ada@example.com"}, "password": {"a long password"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = br.get("/authentication")
	r = row(t, body, id)
	require.Contains(t, r, ">Expired<")
	for _, action := range []string{">Edit<", ">Revoke<", ">Reactivate<"} {
		require.NotContains(t, r, action, "an expired key can't be changed")
	}
	_, body = br.get("/authentication?status=expired")
	require.Equal(t, []string{`data-key-id="` + id + `"`}, keyIDPattern.FindAllString(body, -1))
	_, body = br.get("/authentication?status=active")
	require.Contains(t, body, "No key matches.")
}
