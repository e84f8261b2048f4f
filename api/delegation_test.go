package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/wire"
)

// TestDelegationCreateKey checks POST /api-keys: a key creates keys only
// with permissions it holds, and expiring no later than itself.
func TestDelegationCreateKey(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	exp := b.clock.Now().Add(10 * 24 * time.Hour)
	_, token, err := b.svc.CreateAPIKey(b.ctx, app.AccountScope(b.liveAcc.ID), b.liveAcc.ID,
		keygate.APIKeyCreate{Name: "delegate", Permissions: []keygate.Permission{"api_key.write", "price.read"}, ExpiresAt: &exp})
	require.NoError(t, err)

	for name, body := range map[string]string{
		"a permission it lacks": `{"name":"k","permissions":["price.write"]}`,
		"another it lacks":      `{"name":"k","permissions":["price.read","customer.read"]}`,
		"every permission":      `{"name":"k","permissions":["price.read","api_key.write","transaction.write"]}`,
		"a later expiry":        `{"name":"k","permissions":["price.read"],"expires_at":"` + exp.Add(time.Second).UTC().Format(wire.TimeFormat) + `"}`,
		"a later expiry, far":   `{"name":"k","permissions":["price.read"],"expires_at":"` + b.clock.Now().Add(300*24*time.Hour).UTC().Format(wire.TimeFormat) + `"}`,
	} {
		r := do(t, b.live, "POST", "/api-keys", token, body)
		require.Equal(t, http.StatusForbidden, r.status, name)
		require.Equal(t, "forbidden", r.errorCode(), name)
	}
	list, _, err := b.svc.ListAPIKeys(b.ctx, app.AccountScope(b.liveAcc.ID), keygate.APIKeyFilter{})
	require.NoError(t, err)
	require.Len(t, list, 1, "nothing created")

	r := do(t, b.live, "POST", "/api-keys", token, `{"name":"k","permissions":["price.read"]}`)
	require.Equal(t, http.StatusCreated, r.status, r.raw)
	got, err := time.Parse(time.RFC3339, r.data()["expires_at"].(string))
	require.NoError(t, err)
	require.False(t, got.After(exp), "the default expiry is cut to the creator's")
	r = do(t, b.live, "POST", "/api-keys", token, `{"name":"k","permissions":["api_key.read","price.read"],"expires_at":"`+exp.UTC().Format(wire.TimeFormat)+`"}`)
	require.Equal(t, http.StatusCreated, r.status, "within its own: permissions it holds (write implies read), the same expiry")
}

// TestDelegationUpdateKey checks PATCH /api-keys/{id}: a key can't widen
// itself, nor give another key permissions it does not hold.
func TestDelegationUpdateKey(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	self, token := b.key(t, b.liveAcc, "api_key.write", "price.read")
	other, _ := b.key(t, b.liveAcc, "price.read")

	r := do(t, b.live, "PATCH", "/api-keys/"+self.ID, token, `{"permissions":["api_key.write","price.read","price.write"]}`)
	require.Equal(t, http.StatusForbidden, r.status, "widen itself")
	require.Equal(t, "forbidden", r.errorCode())
	r = do(t, b.live, "PATCH", "/api-keys/"+other.ID, token, `{"permissions":["customer.write"]}`)
	require.Equal(t, http.StatusForbidden, r.status, "widen another")
	for _, id := range []string{self.ID, other.ID} {
		k, err := b.svc.GetAPIKey(b.ctx, app.AccountScope(b.liveAcc.ID), id)
		require.NoError(t, err)
		require.NotContains(t, k.Permissions, keygate.Permission("price.write"))
		require.NotContains(t, k.Permissions, keygate.Permission("customer.write"))
	}
	r = do(t, b.live, "PATCH", "/api-keys/"+other.ID, token, `{"permissions":["price.read"],"name":"narrow"}`)
	require.Equal(t, http.StatusOK, r.status, "within its own")
	r = do(t, b.live, "PATCH", "/api-keys/"+self.ID, token, `{"permissions":["api_key.write"]}`)
	require.Equal(t, http.StatusOK, r.status, "narrowing itself is allowed")
}

// TestDelegationClientTokens checks POST /client-tokens: a key creates
// client-side tokens only if it holds what they grant.
func TestDelegationClientTokens(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	_, weak := b.key(t, b.liveAcc, "client_token.write")
	r := do(t, b.live, "POST", "/client-tokens", weak, `{"name":"checkout"}`)
	require.Equal(t, http.StatusForbidden, r.status, r.raw)
	require.Equal(t, "forbidden", r.errorCode())
	_, strong := b.key(t, b.liveAcc, "client_token.write", "transaction.read")
	r = do(t, b.live, "POST", "/client-tokens", strong, `{"name":"checkout"}`)
	require.Equal(t, http.StatusCreated, r.status, r.raw)
}
