package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
)

// from returns a client whose connections come from the loopback address
// src (Linux routes all of 127.0.0.0/8 to loopback, so 127.0.0.2 is a
// source of its own).
func from(t *testing.T, src string) *http.Client {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 10 * time.Second}
	c, err := d.Dial("tcp", "127.0.0.1:1") // a bind check: refused is fine, unbindable is not
	if err != nil && strings.Contains(err.Error(), "assign requested address") {
		t.Skipf("can't use %s as a source address here: %v", src, err)
	} else if c != nil {
		c.Close()
	}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

// doFrom is do through client.
func doFrom(t *testing.T, client *http.Client, srv *httptest.Server, method, path, token, body string) response {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	r := response{status: resp.StatusCode, header: resp.Header}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&r.body))
	return r
}

// createKey creates a key through the API with body's extra fields, and
// returns the answer and the new key's token.
func createKey(t *testing.T, b *bundle, manager, extra string) (response, string) {
	t.Helper()
	r := do(t, b.live, "POST", "/api-keys", manager, `{"name":"limited","permissions":["customer.read"]`+extra+`}`)
	token, _ := r.data()["key"].(string)
	return r, token
}

func TestAllowedIPs(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	_, manager := b.key(t, b.liveAcc, "api_key.write", "api_key.read", "customer.read")
	r, token := createKey(t, b, manager, `,"allowed_ips":["127.0.0.2/32","2001:db8::/32"]`)
	require.Equal(t, http.StatusCreated, r.status, r.raw)
	require.Equal(t, []any{"127.0.0.2/32", "2001:db8::/32"}, r.data()["allowed_ips"], "shown on the entity")

	refused := doFrom(t, from(t, "127.0.0.1"), b.live, "GET", "/event-types", token, "")
	require.Equal(t, http.StatusForbidden, refused.status)
	require.Equal(t, "forbidden", refused.errorCode())
	require.Equal(t, "This API key can't be used from this IP address.", refused.body["error"].(map[string]any)["detail"])
	ok := doFrom(t, from(t, "127.0.0.2"), b.live, "GET", "/event-types", token, "")
	require.Equal(t, http.StatusOK, ok.status)

	// An edit: the key now works from 127.0.0.1 only.
	id := r.data()["id"].(string)
	p := do(t, b.live, "PATCH", "/api-keys/"+id, manager, `{"allowed_ips":["127.0.0.1"]}`)
	require.Equal(t, http.StatusOK, p.status, p.raw)
	require.Equal(t, []any{"127.0.0.1/32"}, p.data()["allowed_ips"])
	require.Equal(t, http.StatusOK, doFrom(t, from(t, "127.0.0.1"), b.live, "GET", "/event-types", token, "").status)
	require.Equal(t, http.StatusForbidden, doFrom(t, from(t, "127.0.0.2"), b.live, "GET", "/event-types", token, "").status)
	// null clears it: the entity is Paddle's again.
	p = do(t, b.live, "PATCH", "/api-keys/"+id, manager, `{"allowed_ips":null}`)
	require.Equal(t, http.StatusOK, p.status, p.raw)
	require.NotContains(t, p.data(), "allowed_ips")
	require.Equal(t, http.StatusOK, doFrom(t, from(t, "127.0.0.2"), b.live, "GET", "/event-types", token, "").status)
}

func TestKeyControlsBadInput(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	k, manager := b.key(t, b.liveAcc, "api_key.write", "api_key.read", "customer.read")
	many := make([]string, keygate.MaxAllowedIPs+1)
	for i := range many {
		many[i] = fmt.Sprintf(`"10.0.%d.0/24"`, i)
	}
	tests := []struct{ name, extra, field, detail string }{
		{"BadCIDR", `,"allowed_ips":["10.0.0.0/8","10.0.0.300/8"]`, "allowed_ips", `entry 2, \"10.0.0.300/8\": is not a CIDR`},
		{"HostBits", `,"allowed_ips":["10.1.0.0/8"]`, "allowed_ips", "did you mean 10.0.0.0/8?"},
		{"TooMany", `,"allowed_ips":[` + strings.Join(many, ",") + `]`, "allowed_ips", "at most 100 entries"},
		{"NotAList", `,"allowed_ips":"10.0.0.0/8"`, "", ""},
		{"RatePeriod", `,"rate_limit":{"requests":5,"per":"day"}`, "rate_limit", "per must be one of second, minute, hour"},
		{"RateZero", `,"rate_limit":{"requests":0,"per":"second"}`, "rate_limit", "requests must be between 1"},
		{"CreditsNegative", `,"credits":{"remaining":-1,"refill":null}`, "credits", "remaining must be between 0"},
		{"RefillInterval", `,"credits":{"remaining":1,"refill":{"amount":5,"interval":"week"}}`, "credits", "refill interval must be one of day, month"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := createKey(t, b, manager, tt.extra)
			require.Equal(t, http.StatusBadRequest, r.status, r.raw)
			require.Contains(t, []string{"invalid_field", "bad_request"}, r.errorCode())
			if tt.field != "" {
				require.Equal(t, "invalid_field", r.errorCode())
				require.Contains(t, r.raw, `"field":"`+tt.field+`"`)
				require.Contains(t, r.raw, tt.detail)
			}
			// The same value by PATCH changes nothing.
			patch := "{" + strings.TrimPrefix(tt.extra, ",") + "}"
			p := do(t, b.live, "PATCH", "/api-keys/"+k.ID, manager, patch)
			require.Equal(t, http.StatusBadRequest, p.status, p.raw)
		})
	}
	keys, _, err := b.svc.ListAPIKeys(b.ctx, app.AccountScope(b.liveAcc.ID), keygate.APIKeyFilter{})
	require.NoError(t, err)
	require.Len(t, keys, 1, "nothing was created")
	got, err := b.svc.GetAPIKey(b.ctx, app.AccountScope(b.liveAcc.ID), k.ID)
	require.NoError(t, err)
	require.False(t, got.HasControls(), "nothing was changed")
}

func TestKeyControlsOtherTenant(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	other, err := b.svc.CreateAccount(b.ctx, keygate.AccountCreate{Environment: keygate.Live, Name: "Other"})
	require.NoError(t, err)
	foreign, _ := b.key(t, other, "customer.read")
	_, manager := b.key(t, b.liveAcc, "api_key.write", "api_key.read", "customer.read")
	r := do(t, b.live, "PATCH", "/api-keys/"+foreign.ID, manager, `{"allowed_ips":["10.0.0.0/8"],"credits":{"remaining":1,"refill":null}}`)
	require.Equal(t, http.StatusNotFound, r.status, r.raw)
	require.Equal(t, "not_found", r.errorCode())
	got, err := b.svc.GetAPIKey(b.ctx, app.AccountScope(other.ID), foreign.ID)
	require.NoError(t, err)
	require.False(t, got.HasControls())
}

func TestRateLimitHTTP(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	// Every request of the test falls in one window of the controlled clock.
	b.clock.Add(b.clock.Now().Truncate(time.Second).Add(time.Second + time.Millisecond).Sub(b.clock.Now()))
	_, manager := b.key(t, b.liveAcc, "api_key.write", "api_key.read", "customer.read")
	r, token := createKey(t, b, manager, `,"rate_limit":{"requests":5,"per":"second"}`)
	require.Equal(t, http.StatusCreated, r.status, r.raw)
	require.Equal(t, map[string]any{"requests": 5.0, "per": "second"}, r.data()["rate_limit"])
	for i := range 5 {
		require.Equal(t, http.StatusOK, do(t, b.live, "GET", "/event-types", token, "").status, "request %d", i+1)
	}
	sixth := do(t, b.live, "GET", "/event-types", token, "")
	require.Equal(t, http.StatusTooManyRequests, sixth.status)
	require.Equal(t, "too_many_requests", sixth.errorCode())
	require.Equal(t, "1", sixth.header.Get("Retry-After"))
	b.clock.Add(time.Second)
	require.Equal(t, http.StatusOK, do(t, b.live, "GET", "/event-types", token, "").status)
}

func TestCreditsHTTP(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	_, manager := b.key(t, b.liveAcc, "api_key.write", "api_key.read", "customer.read")
	r, token := createKey(t, b, manager, `,"credits":{"remaining":10,"refill":{"amount":100,"interval":"month"}}`)
	require.Equal(t, http.StatusCreated, r.status, r.raw)
	credits := r.data()["credits"].(map[string]any)
	require.Equal(t, 10.0, credits["remaining"])
	require.Equal(t, map[string]any{"amount": 100.0, "interval": "month"}, credits["refill"])
	require.NotEmpty(t, credits["next_refill_at"])
	id := r.data()["id"].(string)
	thresholds := func() []int {
		events, _, err := b.svc.ListEvents(context.Background(), app.AccountScope(b.liveAcc.ID), keygate.EventFilter{
			Types: []keygate.EventType{keygate.EventUsageThreshold}, EntityID: id})
		require.NoError(t, err)
		var out []int
		for _, e := range events {
			var d struct{ Threshold int }
			require.NoError(t, json.Unmarshal(e.Data, &d))
			out = append(out, d.Threshold)
		}
		return out
	}
	for i := range 8 {
		require.Equal(t, http.StatusOK, do(t, b.live, "GET", "/event-types", token, "").status, "request %d", i+1)
	}
	require.Eventually(t, func() bool { return len(thresholds()) == 1 }, 10*time.Second, 5*time.Millisecond, "the event fires at 8 of 10")
	require.Equal(t, []int{80}, thresholds())
	for range 2 {
		require.Equal(t, http.StatusOK, do(t, b.live, "GET", "/event-types", token, "").status)
	}
	eleventh := do(t, b.live, "GET", "/event-types", token, "")
	require.Equal(t, http.StatusForbidden, eleventh.status)
	require.Equal(t, "forbidden", eleventh.errorCode())
	require.Contains(t, eleventh.raw, "This API key has no credits left.")
	require.Eventually(t, func() bool { return len(thresholds()) == 2 }, 10*time.Second, 5*time.Millisecond)
	require.Equal(t, []int{80, 100}, thresholds(), "once per crossing")
	require.Eventually(t, func() bool {
		got := do(t, b.live, "GET", "/api-keys/"+id, manager, "")
		return got.data()["credits"].(map[string]any)["remaining"] == 0.0
	}, 10*time.Second, 5*time.Millisecond, "the API shows the balance")
}

func TestUsageThresholdEventType(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	_, token := b.key(t, b.liveAcc, "customer.read")
	r := do(t, b.live, "GET", "/event-types", token, "")
	var found map[string]any
	for _, e := range r.list() {
		m := e.(map[string]any)
		if m["name"] == "api_key.usage_threshold" {
			found = m
		} else {
			require.NotContains(t, m, "keygate", "Paddle's types are not marked")
		}
	}
	require.NotNil(t, found)
	require.Equal(t, true, found["keygate"], "marked as keygate's own")
}
