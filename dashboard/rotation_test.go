package dashboard_test

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
)

// TestKeyRotate checks the Rotate pages over HTTP: the dialog, a refused
// grace (nothing rotates), the new key once, a key that can't rotate, and
// another account's key.
func TestKeyRotate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	br := b.signedIn(t)
	_, body := br.get("/authentication")
	accounts, _, err := b.svc.ListAccounts(b.ctx, keygate.AccountFilter{})
	require.NoError(t, err)
	acc := accounts[0].ID
	k, _, err := b.svc.CreateAPIKey(b.ctx, app.AccountScope(acc), acc, keygate.APIKeyCreate{Name: "aws", Permissions: []keygate.Permission{"price.read"}, Rotatable: true})
	require.NoError(t, err)
	plain, _, err := b.svc.CreateAPIKey(b.ctx, app.AccountScope(acc), acc, keygate.APIKeyCreate{Name: "plain", Permissions: []keygate.Permission{"price.read"}})
	require.NoError(t, err)

	resp, body := br.get("/authentication/api-keys/" + k.ID + "/rotate")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Contains(t, body, `<option value="300" selected>`)
	token := csrf(t, body)

	resp, body = br.post("/authentication/api-keys/"+k.ID+"/rotate", url.Values{"csrf": {token}, "grace_period_seconds": {"99999"}})
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, body)
	list, _, err := b.svc.ListAPIKeyRotations(b.ctx, app.AccountScope(acc), keygate.APIKeyRotationFilter{APIKeyID: k.ID})
	require.NoError(t, err)
	require.Empty(t, list, "a refused grace rotates nothing")

	resp, body = br.post("/authentication/api-keys/"+k.ID+"/rotate", url.Values{"csrf": {token}, "grace_period_seconds": {"60"}})
	require.Equal(t, http.StatusCreated, resp.StatusCode, body)
	require.Regexp(t, regexp.MustCompile(`spellcheck="false">pdl_sdbx_apikey_`+k.ID[len("apikey_"):]+`_[a-zA-Z\d]{22}_[a-zA-Z\d]{3}</textarea>`), body)

	_, body = br.get("/authentication/api-keys/" + k.ID)
	require.Contains(t, body, `id="rotation-pending">Yes`)
	_, body = br.get("/authentication/api-keys/" + plain.ID)
	require.NotContains(t, body, `id="rotation"`)

	resp, _ = br.post("/authentication/api-keys/"+plain.ID+"/rotate", url.Values{"csrf": {token}, "grace_period_seconds": {"60"}})
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "a key that isn't rotatable")

	other, err := b.svc.CreateAccount(b.ctx, keygate.AccountCreate{Environment: keygate.Sandbox, Name: "Other"})
	require.NoError(t, err)
	theirs, _, err := b.svc.CreateAPIKey(b.ctx, app.OperatorScope(), other.ID, keygate.APIKeyCreate{Name: "theirs", Permissions: []keygate.Permission{"price.read"}, Rotatable: true})
	require.NoError(t, err)
	resp, _ = br.post("/authentication/api-keys/"+theirs.ID+"/rotate", url.Values{"csrf": {token}, "grace_period_seconds": {"60"}})
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = br.post("/authentication/api-keys/"+k.ID+"/rotate", url.Values{"grace_period_seconds": {"60"}})
	require.NotEqual(t, http.StatusCreated, resp.StatusCode, "no CSRF token, no rotation")
}
