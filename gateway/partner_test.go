package gateway_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/gateway"
)

// TestPartnerKeyRefused checks that a partner key, with or without its
// Paddle-PartnerID, passes no gateway route and no keygate route but the
// partner ones, and that /verify does not call it valid.
func TestPartnerKeyRefused(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	p, key, err := b.svc.CreatePartner(b.ctx, keygate.PartnerCreate{Environment: keygate.Live, Name: "Platform"})
	require.NoError(t, err)
	for _, withID := range []bool{false, true} {
		header := http.Header{}
		if withID {
			header.Set("Paddle-PartnerID", p.ID)
		}
		for _, route := range []struct{ method, path string }{
			{"GET", "/products"}, {"POST", "/customers"}, {"GET", "/transactions/txn_01h04vsc0qhwtsbsxh3422wjs4"},
			{"GET", "/api-keys"}, {"POST", "/api-keys"}, {"GET", "/event-types"}, {"POST", "/magic-sessions/authorize"},
		} {
			a := b.send(t, route.method, route.path, key, header, `{}`)
			require.Equal(t, http.StatusForbidden, a.status, "%s %s (Paddle-PartnerID: %v): %s", route.method, route.path, withID, a.body)
			require.Equal(t, "forbidden", a.code())
		}
	}
	require.Zero(t, b.up.hits.Load(), "nothing reached the upstream")

	srv := httptest.NewServer(gateway.VerifyHandler(b.verifier, ""))
	defer srv.Close()
	for _, body := range []string{fmt.Sprintf(`{"token":%q,"environment":"live"}`, key), fmt.Sprintf(`{"token":%q,"environment":"live","permission":"product.read"}`, key)} {
		resp, err := http.Post(srv.URL+"/verify", "application/json", strings.NewReader(body))
		require.NoError(t, err)
		var out gateway.VerifyResponse
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		resp.Body.Close()
		require.False(t, out.Valid, body)
		require.Equal(t, gateway.VerifyForbidden, out.Code)
		require.Nil(t, out.Principal)
	}
}
