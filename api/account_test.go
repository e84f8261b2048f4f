package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
)

const sellerBody = `{"user":{"first_name":"Ada","last_name":"Lovelace","email":"ada@seller.example","marketing_consent":true},
	"business":{"name":"Analytical Engines Ltd","type":"private","registration_number":"01234567"}}`

// platform creates the sandbox partner "Platform", whose site is
// platform.example, and returns it with its partner key.
func (b *bundle) platform(t *testing.T) (*keygate.Partner, string) {
	t.Helper()
	p, key, err := b.svc.CreatePartner(b.ctx, keygate.PartnerCreate{Environment: keygate.Sandbox, Name: "Platform", AllowedDomains: []string{"platform.example"}})
	require.NoError(t, err)
	return p, key
}

func (b *bundle) partnerRequest(t *testing.T, path, key, partnerID, body string) response {
	req, err := http.NewRequest("POST", b.sandbox.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	if partnerID != "" {
		req.Header.Set("Paddle-PartnerID", partnerID)
	}
	return send(t, req)
}

// TestPartnerCreatesSeller creates a seller account with a partner key, and
// checks what the keys it gets can do.
func TestPartnerCreatesSeller(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	p, key := b.platform(t)

	r := b.partnerRequest(t, "/accounts/validate", key, p.ID, sellerBody)
	require.Equal(t, http.StatusNoContent, r.status, r.raw)
	accounts, _, err := b.svc.ListAccounts(b.ctx, keygate.AccountFilter{})
	require.NoError(t, err)
	require.Len(t, accounts, 2, "validate creates nothing")

	r = b.partnerRequest(t, "/accounts", key, p.ID, sellerBody)
	require.Equal(t, http.StatusCreated, r.status, r.raw)
	d := r.data()
	require.Regexp(t, `^acc_[a-z\d]{26}$`, d["id"])
	user := d["user"].(map[string]any)
	require.Regexp(t, `^usr_[a-z\d]{26}$`, user["id"])
	require.Equal(t, "ada@seller.example", user["email"])
	require.Equal(t, "Ada", user["first_name"])
	require.Equal(t, "Analytical Engines Ltd", d["business"].(map[string]any)["name"])
	apiKey, userKey := d["api_key"].(string), d["user_api_key"].(string)
	require.Regexp(t, `^pdl_sdbx_apikey_`, apiKey)
	require.Regexp(t, `^pdl_sdbx_apikey_`, userKey)
	require.NotEqual(t, apiKey, userKey)

	// The seller's keys act for the new account, and only for it.
	r = do(t, b.sandbox, "GET", "/api-keys", apiKey, "")
	require.Equal(t, 200, r.status)
	require.Len(t, r.list(), 2)
	acc, err := b.svc.GetAccount(b.ctx, app.OperatorScope(), d["id"].(string))
	require.NoError(t, err)
	require.Equal(t, p.ID, acc.PartnerID)
	require.Equal(t, "Analytical Engines Ltd", acc.Name)

	r = b.partnerRequest(t, "/accounts", key, p.ID, sellerBody)
	require.Equal(t, "conflict", r.errorCode(), "the e-mail is taken")
	r = b.partnerRequest(t, "/accounts/validate", key, p.ID, sellerBody)
	require.Equal(t, "invalid_field", r.errorCode())

	r = b.partnerRequest(t, "/accounts", key, "", sellerBody)
	require.Equal(t, "forbidden", r.errorCode(), "without Paddle-PartnerID")
	other, _, err := b.svc.CreatePartner(b.ctx, keygate.PartnerCreate{Environment: keygate.Sandbox, Name: "Other"})
	require.NoError(t, err)
	r = b.partnerRequest(t, "/accounts", key, other.ID, sellerBody)
	require.Equal(t, "forbidden", r.errorCode(), "another partner's ID")
	r = b.partnerRequest(t, "/accounts", apiKey, p.ID, sellerBody)
	require.Equal(t, "forbidden", r.errorCode(), "a seller's key can't create sellers")

	req, _ := http.NewRequest("POST", b.live.URL+"/accounts", strings.NewReader(sellerBody))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Paddle-PartnerID", p.ID)
	require.Equal(t, "invalid_token", send(t, req).errorCode(), "a sandbox partner key on the live API")

	r = b.partnerRequest(t, "/accounts", key, p.ID, `{"user":{"first_name":"","last_name":"L","email":"nope"},"business":{"name":"","type":"public"}}`)
	require.Equal(t, "invalid_field", r.errorCode())
	var fields []string
	for _, f := range r.body["error"].(map[string]any)["errors"].([]any) {
		fields = append(fields, f.(map[string]any)["field"].(string))
	}
	require.Equal(t, []string{"user.first_name", "user.email", "business.name", "business.stock_ticker_symbol"}, fields)
}

func TestMagicAuthorize(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	p, key := b.platform(t)
	r := b.partnerRequest(t, "/accounts", key, p.ID, sellerBody)
	require.Equal(t, http.StatusCreated, r.status, r.raw)
	userKey, apiKey := r.data()["user_api_key"].(string), r.data()["api_key"].(string)

	r = do(t, b.sandbox, "POST", "/magic-sessions/authorize", userKey, "")
	require.Equal(t, http.StatusCreated, r.status, r.raw)
	require.Regexp(t, `^[a-zA-Z0-9]{43}$`, r.data()["code"])
	require.Regexp(t, paddleTime, r.data()["expires_at"])
	require.Equal(t, "forbidden", do(t, b.sandbox, "POST", "/magic-sessions/authorize", apiKey, "").errorCode(), "an account's key")
	require.Equal(t, "forbidden", b.partnerRequest(t, "/magic-sessions/authorize", key, p.ID, "").errorCode(), "a partner key")
}
