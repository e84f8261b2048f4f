package dashboard_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
)

// TestKeyControlsForms sets a key's limits in the create and edit forms
// and reads them on its page; bad input is shown next to its field and
// changes nothing; saving the edit form unchanged keeps the balance.
func TestKeyControlsForms(t *testing.T) {
	t.Parallel()
	b := setup(t)
	br := b.signedIn(t)
	_, body := br.get("/authentication/api-keys/new")
	require.Contains(t, body, `name="allowed_ips"`)
	bad := url.Values{"csrf": {csrf(t, body)}, "name": {"Bad"}, "permissions": {"price.read"}, "allowed_ips": {"10.0.0.0/8\n10.0.0.300/8"}}
	resp, body := br.post("/authentication/api-keys", bad)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, body, `Entry 2, &#34;10.0.0.300/8&#34;: is not a CIDR`)
	require.Contains(t, body, "10.0.0.300/8</textarea>", "what was typed is kept")
	_, body = br.get("/authentication?q=Bad")
	require.NotContains(t, body, "data-key-id=", "nothing was created")

	id := br.createKey(t, url.Values{"name": {"Metered"}, "permissions": {"price.read"}, "allowed_ips": {"10.0.0.0/8\n2001:db8::/32"},
		"rate_requests": {"5"}, "rate_per": {"second"}, "credits": {"1000"}, "refill_amount": {"5000"}, "refill_interval": {"month"}})
	_, body = br.get("/authentication/api-keys/" + id)
	require.Contains(t, body, "<code>10.0.0.0/8</code>")
	require.Contains(t, body, "<code>2001:db8::/32</code>")
	require.Contains(t, body, "5 requests per second")
	require.Contains(t, body, "1,000 left; set to 5,000 every month")

	// Spend some, then save the edit form with only the allowlist changed:
	// the balance stays as it is.
	sc := app.OperatorScope()
	_, err := b.svc.SpendCredits(b.ctx, []keygate.CreditSpend{{APIKeyID: id, Credits: 10}})
	require.NoError(t, err)
	_, body = br.get("/authentication/api-keys/" + id + "/edit")
	require.Contains(t, body, "10.0.0.0/8\n2001:db8::/32</textarea>")
	form := url.Values{"csrf": {csrf(t, body)}, "name": {"Metered"}, "permissions": {"price.read"}, "allowed_ips": {"192.0.2.0/24"},
		"rate_requests": {"5"}, "rate_per": {"second"}, "credits": {"990"}, "refill_amount": {"5000"}, "refill_interval": {"month"}}
	resp, body = br.post("/authentication/api-keys/"+id, form)
	require.Less(t, resp.StatusCode, 400, body)
	k, err := b.svc.GetAPIKey(b.ctx, sc, id)
	require.NoError(t, err)
	require.Equal(t, "192.0.2.0/24", k.AllowedIPs[0].String())
	require.Equal(t, int64(990), k.Credits.Remaining)
	require.Equal(t, int64(1000), k.Credits.Granted, "not set anew")

	// Emptied fields remove the limits.
	form.Set("allowed_ips", "")
	form.Set("rate_requests", "")
	form.Set("credits", "")
	form.Set("refill_amount", "")
	resp, body = br.post("/authentication/api-keys/"+id, form)
	require.Less(t, resp.StatusCode, 400, body)
	k, err = b.svc.GetAPIKey(b.ctx, sc, id)
	require.NoError(t, err)
	require.False(t, k.HasControls())
	_, body = br.get("/authentication/api-keys/" + id)
	require.True(t, strings.Contains(body, "Unlimited") && strings.Contains(body, "None of its own"))

	form.Set("rate_requests", "five")
	resp, body = br.post("/authentication/api-keys/"+id, form)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, body, "Must be a whole number, not &#34;five&#34;")
}
