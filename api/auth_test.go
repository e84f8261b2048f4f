package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate/api"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/credential"
)

// TestAuthentication covers every authentication outcome with Paddle's
// exact status, code, type and detail.
func TestAuthentication(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	_, liveToken := b.key(t, b.liveAcc, "customer.read")
	_, sdbxToken := b.key(t, b.sdbxAcc, "api_key.read")
	revoked, revokedToken := b.key(t, b.liveAcc, "api_key.read")
	_, err := b.svc.RevokeAPIKey(b.ctx, app.AccountScope(b.liveAcc.ID), revoked.ID)
	require.NoError(t, err)
	expiring, expiringToken := b.key(t, b.liveAcc, "api_key.read")
	wrongCheck := liveToken[:len(liveToken)-3] + "000"
	if wrongCheck == liveToken {
		wrongCheck = liveToken[:len(liveToken)-3] + "001"
	}
	tok, _ := credential.Parse(liveToken)
	wrongSecret := "pdl_live_apikey_" + tok.ID + "_0000000000000000000000"
	wrongSecret += "_" + credential.Check(wrongSecret)

	const (
		missing   = "Authentication header missing."
		malformed = "Authentication header included, but incorrectly formatted."
		invalid   = "Invalid or revoked API key."
		forbidden = "You aren't permitted to perform this request."
	)
	tests := []struct {
		name   string
		header string // the whole Authorization header; "-" for none
		live   bool   // the live surface, else sandbox
		before func()
		status int
		code   string
		detail string
	}{
		{"OK", "Bearer " + liveToken, true, nil, 200, "", ""},
		{"OKSandbox", "Bearer " + sdbxToken, false, nil, 200, "", ""},
		{"Missing", "-", true, nil, 403, "authentication_missing", missing},
		{"EmptyHeader", "", true, nil, 403, "authentication_missing", missing},
		{"NotBearer", "Basic dXNlcjpwYXNz", true, nil, 403, "authentication_malformed", malformed},
		{"NoScheme", liveToken, true, nil, 403, "authentication_malformed", malformed},
		{"TwoTokens", "Bearer " + liveToken + " " + liveToken, true, nil, 403, "authentication_malformed", malformed},
		{"Unknown", "Bearer " + credential.NewAPIKey("", credential.EnvLive, time.Now()).Token, true, nil, 403, "invalid_token", invalid},
		{"WrongCheck", "Bearer " + wrongCheck, true, nil, 403, "invalid_token", invalid},
		{"WrongSecret", "Bearer " + wrongSecret, true, nil, 403, "invalid_token", invalid},
		{"SandboxKeyOnLive", "Bearer " + sdbxToken, true, nil, 403, "invalid_token", invalid},
		{"LiveKeyOnSandbox", "Bearer " + liveToken, false, nil, 403, "invalid_token", invalid},
		{"Revoked", "Bearer " + revokedToken, true, nil, 403, "invalid_token", invalid},
		{"Garbage", "Bearer hello", true, nil, 403, "invalid_token", invalid},
		{"Forbidden", "Bearer " + liveToken, true, nil, 403, "forbidden", forbidden},
		// Last: it moves the clock past every key's expiry.
		{"Expired", "Bearer " + expiringToken, true, func() { b.clock.Add(expiring.ExpiresAt.Sub(b.clock.Now())) }, 403, "invalid_token", invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.before != nil {
				tt.before()
			}
			srv, path := b.sandbox, "/api-keys"
			if tt.live {
				srv = b.live
			}
			if tt.name == "OK" || tt.name == "Garbage" || tt.name == "Missing" || tt.name == "EmptyHeader" {
				path = "/event-types"
			}
			req, err := http.NewRequest("GET", srv.URL+path, nil)
			require.NoError(t, err)
			if tt.header != "-" {
				req.Header.Set("Authorization", tt.header)
			}
			r := send(t, req)
			require.Equal(t, tt.status, r.status, r.raw)
			meta := r.body["meta"].(map[string]any)
			id := meta["request_id"].(string)
			_, err = uuid.Parse(id)
			require.NoError(t, err, "meta.request_id is a UUID")
			require.Equal(t, id, r.header.Get(api.RequestIDHeader))
			if tt.code == "" {
				return
			}
			require.Equal(t, map[string]any{
				"type": "request_error", "code": tt.code, "detail": tt.detail,
				"documentation_url": "https://developer.paddle.com/errors/shared/" + tt.code,
			}, r.body["error"])
		})
	}
}

// TestRevokedThroughAPIStopsAtOnce checks that a revoke made through this
// process is in force on its very next request.
func TestRevokedThroughAPIStopsAtOnce(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	admin, adminToken := b.key(t, b.liveAcc, "api_key.write", "price.read") // it grants only what it holds
	victim, victimToken := b.key(t, b.liveAcc, "customer.read")
	require.Equal(t, 200, do(t, b.live, "GET", "/api-keys/"+victim.ID, victimToken, "").status)

	r := do(t, b.live, "PATCH", "/api-keys/"+victim.ID, adminToken, `{"status":"revoked"}`)
	require.Equal(t, 200, r.status, r.raw)
	require.Equal(t, "revoked", r.data()["status"])
	require.Equal(t, "invalid_token", do(t, b.live, "GET", "/event-types", victimToken, "").errorCode())

	r = do(t, b.live, "PATCH", "/api-keys/"+victim.ID, adminToken, `{"status":"active"}`)
	require.Equal(t, 200, r.status, r.raw)
	require.Equal(t, 200, do(t, b.live, "GET", "/event-types", victimToken, "").status)

	r = do(t, b.live, "PATCH", "/api-keys/"+victim.ID, adminToken, `{"permissions":["price.read"]}`)
	require.Equal(t, 200, r.status, r.raw)
	require.Equal(t, "forbidden", do(t, b.live, "GET", "/api-keys/"+admin.ID, victimToken, "").errorCode())
}

// TestRateLimit checks the per-IP limit, the 60-second lockout and
// Retry-After, and that trusted proxies are looked through.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *api.Config) {
		c.RateLimit = 5
		c.TrustedProxies = mustPrefixes("127.0.0.0/8")
	})
	_, token := b.key(t, b.liveAcc, "customer.read")
	from := func(ip string) response {
		req, _ := http.NewRequest("GET", b.live.URL+"/event-types", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("X-Forwarded-For", "198.51.100.7, "+ip)
		return send(t, req)
	}
	for i := range 5 {
		require.Equal(t, 200, from("203.0.113.1").status, "request %d", i+1)
	}
	r := from("203.0.113.1")
	require.Equal(t, 429, r.status)
	require.Equal(t, "60", r.header.Get("Retry-After"))
	require.Equal(t, map[string]any{
		"type": "api_error", "code": "too_many_requests",
		"detail":            "IP address exceeded the allowed rate limit. Retry after the number of seconds in the Retry-After header.",
		"documentation_url": "https://developer.paddle.com/errors/shared/too_many_requests",
	}, r.body["error"])
	require.Equal(t, 200, from("203.0.113.2").status, "another client is not limited")

	b.clock.Add(59 * time.Second)
	r = from("203.0.113.1")
	require.Equal(t, 429, r.status, "refused for 60 seconds, though a new minute began")
	require.Equal(t, "1", r.header.Get("Retry-After"))
	b.clock.Add(time.Second)
	require.Equal(t, 200, from("203.0.113.1").status)

	require.Equal(t, 200, do(t, b.live, "GET", "/healthz", "", "").status, "probes are not limited")
}
