package gateway_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestGatewayRefusesTrickPaths checks that paths whose route would differ
// once decoded or cleaned are refused (invalid_url) before they reach the
// upstream, whatever the key may do.
func TestGatewayRefusesTrickPaths(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	_, token := b.key(t, "product.read")
	for _, path := range []string{
		"/products/..%2Fcustomers", "/products/..%2fcustomers", "/products/%2e%2e/customers", "/products/../customers",
		"/products/./pro_01", "/products//pro_01", "//products/pro_01", "/products/pro_01%2F..%2F..%2Fcustomers",
		"/products/a%5C..%5Ccustomers", "/products/%2E%2E", "/products/pro_01%00",
	} {
		req, err := http.NewRequest("GET", b.gw.URL+"/", nil)
		require.NoError(t, err)
		req.URL.Opaque = path // sent as written: no client-side cleaning
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Contains(t, []int{http.StatusNotFound, http.StatusBadRequest}, resp.StatusCode, path)
	}
	require.Zero(t, b.up.hits.Load(), "nothing reached the upstream")

	a := b.send(t, "GET", "/products/pro_01%41", token, nil, "")
	require.Equal(t, http.StatusOK, a.status, "other escapes are fine")
	require.Equal(t, "/products/pro_01A", a.json["path"], "and the upstream gets the path as matched")
}

// TestGatewayDropsLookalikeHeaders sends identity headers spelled every
// way an upstream might read them: none reaches it, only the gateway's.
func TestGatewayDropsLookalikeHeaders(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	_, token := b.key(t, "product.read")
	h := http.Header{}
	for _, name := range []string{"X_Keygate_Account_Id", "x_keygate_permissions", "X-KEYGATE_CREDENTIAL-ID", "x-keygate-environment", "X_KEYGATE_ANYTHING"} {
		h[name] = []string{"acc_forged"} // as written, not canonicalised
	}
	a := b.send(t, "GET", "/products", token, h, "")
	require.Equal(t, http.StatusOK, a.status)
	for name, vals := range a.json["header"].(map[string]any) {
		for _, v := range vals.([]any) {
			require.NotEqual(t, "acc_forged", v, name)
		}
		if strings.EqualFold(strings.ReplaceAll(name, "_", "-"), "x-keygate-account-id") {
			require.Equal(t, []any{b.acc.ID}, vals)
		}
	}
}
