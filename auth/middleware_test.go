package auth_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/auth"
	"github.com/keygate/keygate/credential"
)

// TestMiddlewareClientTokens puts the middleware in front of a test handler
// on a route that takes client-side tokens and on one that does not.
func TestMiddlewareClientTokens(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, apiKey := b.key(t, "transaction.read")
	ct, err := b.svc.CreateClientToken(b.ctx, app.AccountScope(b.acc.ID), b.acc.ID, keygate.ClientTokenCreate{Name: "checkout"})
	require.NoError(t, err)
	revoked, err := b.svc.CreateClientToken(b.ctx, app.AccountScope(b.acc.ID), b.acc.ID, keygate.ClientTokenCreate{Name: "old"})
	require.NoError(t, err)
	_, err = b.svc.RevokeClientToken(b.ctx, app.AccountScope(b.acc.ID), revoked.ID)
	require.NoError(t, err)
	b.v.Invalidate(revoked.ID)
	sdbx, err := b.svc.CreateAccount(b.ctx, keygate.AccountCreate{Environment: keygate.Sandbox, Name: "s"})
	require.NoError(t, err)
	otherEnv, err := b.svc.CreateClientToken(b.ctx, app.AccountScope(sdbx.ID), sdbx.ID, keygate.ClientTokenCreate{Name: "sandbox"})
	require.NoError(t, err)

	who := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		io.WriteString(w, p.Kind.String()+" "+p.CredentialID)
	})
	mux := http.NewServeMux()
	mux.Handle("POST /pricing-preview", b.v.Guard(keygate.Live, auth.Rule{Permission: "transaction.read", ClientTokens: true})(who))
	mux.Handle("GET /products", b.v.Require(keygate.Live, "")(who))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	call := func(method, path, token string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	code := func(body string) string {
		i := strings.Index(body, `"code":"`)
		if i < 0 {
			return ""
		}
		return strings.SplitN(body[i+8:], `"`, 2)[0]
	}

	status, body := call("POST", "/pricing-preview", ct.Token)
	require.Equal(t, 200, status, body)
	require.Equal(t, "client_token "+ct.ID, body)
	status, body = call("POST", "/pricing-preview", apiKey)
	require.Equal(t, 200, status, "API keys work on client-token routes too")
	require.True(t, strings.HasPrefix(body, "api_key "))
	_, body = call("POST", "/pricing-preview", revoked.Token)
	require.Equal(t, "invalid_client_token", code(body))
	_, body = call("POST", "/pricing-preview", otherEnv.Token)
	require.Equal(t, "invalid_client_token", code(body), "a sandbox token on the live surface")
	_, body = call("POST", "/pricing-preview", credential.NewClientToken(credential.EnvLive))
	require.Equal(t, "invalid_client_token", code(body))
	status, body = call("GET", "/products", ct.Token)
	require.Equal(t, 403, status)
	require.Equal(t, "invalid_token", code(body), "a client-side token is no credential elsewhere")
	status, _ = call("GET", "/products", apiKey)
	require.Equal(t, 200, status)

	// A revocation elsewhere reaches the cache through the change feed.
	_, err = b.svc.RevokeClientToken(b.ctx, app.AccountScope(b.acc.ID), ct.ID)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, body := call("POST", "/pricing-preview", ct.Token)
		return code(body) == "invalid_client_token"
	}, time.Second, 10*time.Millisecond)
}
