package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestErrors checks the answers to requests keygate can't serve.
func TestErrors(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	_, token := b.key(t, b.liveAcc, "api_key.write")

	tests := []struct {
		name, method, path, contentType, body string
		status                                int
		code                                  string
		fields                                []any
	}{
		{"UnknownRoute", "GET", "/products", "", "", 404, "invalid_url", nil},
		{"UnknownMethod", "PUT", "/api-keys", "application/json", "{}", 404, "invalid_url", nil},
		{"BadJSON", "POST", "/api-keys", "application/json", `{"name":`, 400, "bad_request", nil},
		{"TwoObjects", "POST", "/api-keys", "application/json", `{} {}`, 400, "bad_request", nil},
		{"EmptyBody", "POST", "/api-keys", "application/json", ``, 400, "bad_request", nil},
		{"WrongContentType", "POST", "/api-keys", "text/plain", `{"name":"k"}`, 400, "bad_request", nil},
		{"TooLarge", "POST", "/api-keys", "application/json", `{"name":"` + strings.Repeat("x", 1<<20) + `"}`, 413, "request_body_too_large", nil},
		{"WrongType", "POST", "/api-keys", "application/json", `{"name":42,"permissions":["price.read"]}`, 400, "invalid_field",
			[]any{map[string]any{"field": "name", "message": "must be a string"}}},
		{"UnknownField", "POST", "/api-keys", "application/json", `{"name":"k","permissions":["price.read"],"colour":"red"}`, 400, "invalid_field",
			[]any{map[string]any{"field": "colour", "message": "is not a field of this request"}}},
		{"Invalid", "POST", "/api-keys", "application/json", `{"name":"","permissions":["price.delete"],"expires_at":"2000-01-01T00:00:00Z"}`, 400, "invalid_field",
			[]any{
				map[string]any{"field": "name", "message": "must be between 1 and 150 characters"},
				map[string]any{"field": "permissions", "message": `unknown permission "price.delete"`},
				map[string]any{"field": "expires_at", "message": "must be in the future"},
			}},
		{"BadPathID", "GET", "/api-keys/nope", "", "", 400, "bad_request", nil},
		{"NotFound", "GET", "/api-keys/apikey_01jkdpbhazdpn3wpcya45as9tg", "", "", 404, "not_found", nil},
		{"PerPageNotANumber", "GET", "/api-keys?per_page=x", "", "", 400, "invalid_field", []any{map[string]any{"field": "per_page", "message": "must be a whole number of at least 1"}}},
		{"BadOrder", "GET", "/api-keys?order_by=name[ASC]", "", "", 400, "invalid_field", []any{map[string]any{"field": "order_by", "message": "must be id[ASC] or id[DESC]"}}},
		{"BadStatusFilter", "GET", "/api-keys?status=active,gone", "", "", 400, "invalid_field", []any{map[string]any{"field": "status", "message": "must be active, expired or revoked, comma-separated"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, b.live.URL+tt.path, strings.NewReader(tt.body))
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+token)
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			r := send(t, req)
			require.Equal(t, tt.status, r.status, r.raw)
			require.Equal(t, tt.code, r.errorCode())
			e := r.body["error"].(map[string]any)
			require.Equal(t, "request_error", e["type"])
			require.NotEmpty(t, e["detail"])
			if tt.fields == nil {
				require.NotContains(t, e, "errors")
			} else {
				require.Equal(t, tt.fields, e["errors"])
			}
		})
	}
	r := do(t, b.live, "GET", "/api-keys", token, "")
	require.Equal(t, 1, len(r.list()), "no failed request created anything")
}

// TestBrowsersBlocked checks that no browser may read the API: no CORS
// grant on answers, and preflights answered without one.
func TestBrowsersBlocked(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	_, token := b.key(t, b.liveAcc, "api_key.read")
	req, _ := http.NewRequest("GET", b.live.URL+"/api-keys", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Origin", "https://evil.example")
	r := send(t, req)
	require.Equal(t, 200, r.status)
	require.Empty(t, r.header.Get("Access-Control-Allow-Origin"))

	req, _ = http.NewRequest("OPTIONS", b.live.URL+"/api-keys", nil)
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Access-Control-Request-Method", "GET")
	req.Header.Set("Access-Control-Request-Headers", "authorization")
	r = send(t, req)
	require.Equal(t, http.StatusNoContent, r.status)
	for _, h := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Allow-Credentials"} {
		require.Empty(t, r.header.Get(h), h)
	}
}

// TestProbes checks /healthz and /readyz.
func TestProbes(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	for _, p := range []string{"/healthz", "/readyz"} {
		r := do(t, b.sandbox, "GET", p, "", "")
		require.Equal(t, 200, r.status)
		require.Equal(t, "ok\n", r.raw)
	}
}
