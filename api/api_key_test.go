package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
)

var (
	fullKey    = regexp.MustCompile(`^pdl_sdbx_apikey_[a-z\d]{26}_[a-zA-Z\d]{22}_[a-zA-Z\d]{3}$`)
	obfuscated = regexp.MustCompile(`^pdl_sdbx_apikey_[a-z\d]{10}\*\*\*\*$`)
	paddleTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`)
)

func TestEventTypes(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	_, token := b.key(t, b.sdbxAcc, "price.read") // no permission needed
	r := do(t, b.sandbox, "GET", "/event-types", token, "")
	require.Equal(t, 200, r.status, r.raw)
	var names []string
	for i, e := range r.list() {
		et := e.(map[string]any)
		names = append(names, et["name"].(string))
		require.NotEmpty(t, et["description"])
		require.Equal(t, keygate.EventTypes[i].Group, et["group"])
		require.Equal(t, []any{1.0}, et["available_versions"])
	}
	var want []string
	for _, e := range keygate.EventTypes {
		want = append(want, string(e.Name))
	}
	require.Equal(t, want, names)
}

func TestAPIKeyEndpoints(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	admin, adminToken := b.key(t, b.sdbxAcc, "api_key.write", "customer.write", "product.write") // it grants only what it holds
	reader, readerToken := b.key(t, b.sdbxAcc, "customer.read")
	other, _ := b.key(t, b.liveAcc, "api_key.read") // another account, and environment

	// Create: 201, the full key this once, and it works at once.
	exp := b.clock.Now().Add(30 * 24 * time.Hour).Format(time.RFC3339)
	r := do(t, b.sandbox, "POST", "/api-keys", adminToken, `{"name":"CRM","description":"Syncs.","permissions":["customer.read","customer.write"],"expires_at":"`+exp+`","rotatable":true}`)
	require.Equal(t, http.StatusCreated, r.status, r.raw)
	created := r.data()
	require.Regexp(t, fullKey, created["key"])
	require.Equal(t, "active", created["status"])
	require.Equal(t, true, created["rotatable"])
	require.Equal(t, []any{"customer.read", "customer.write"}, created["permissions"])
	for _, f := range []string{"expires_at", "created_at", "updated_at"} {
		require.Regexp(t, paddleTime, created[f], f)
	}
	for _, f := range []string{"last_used_at", "exposed_at"} {
		require.Contains(t, created, f)
		require.Nil(t, created[f], f)
	}
	newToken := created["key"].(string)
	require.Equal(t, 200, do(t, b.sandbox, "GET", "/event-types", newToken, "").status)

	// Get: obfuscated ever after; a key may read itself without api_key.read.
	id := created["id"].(string)
	r = do(t, b.sandbox, "GET", "/api-keys/"+id, adminToken, "")
	require.Equal(t, 200, r.status, r.raw)
	require.Regexp(t, obfuscated, r.data()["key"])
	r = do(t, b.sandbox, "GET", "/api-keys/"+reader.ID, readerToken, "")
	require.Equal(t, 200, r.status, "a key reads itself")
	require.Equal(t, "forbidden", do(t, b.sandbox, "GET", "/api-keys/"+admin.ID, readerToken, "").errorCode())
	require.Equal(t, "not_found", do(t, b.sandbox, "GET", "/api-keys/"+other.ID, adminToken, "").errorCode(), "another account's key does not exist here")
	require.Equal(t, "forbidden", do(t, b.sandbox, "GET", "/api-keys", readerToken, "").errorCode())

	// Patch.
	r = do(t, b.sandbox, "PATCH", "/api-keys/"+id, adminToken, `{"name":"CRM 2","description":null}`)
	require.Equal(t, 200, r.status, r.raw)
	require.Equal(t, "CRM 2", r.data()["name"])
	require.Nil(t, r.data()["description"])
	require.Equal(t, created["expires_at"], r.data()["expires_at"])
	r = do(t, b.sandbox, "PATCH", "/api-keys/"+id, adminToken, `{"expires_at":"2030-01-01T00:00:00Z","status":"expired","bogus":1}`)
	require.Equal(t, 400, r.status)
	require.Equal(t, []any{
		map[string]any{"field": "bogus", "message": "is not a field of this request"},
		map[string]any{"field": "expires_at", "message": "can't be changed: a key's expiry is set when it is created"},
		map[string]any{"field": "status", "message": "must be one of active, revoked"},
	}, r.body["error"].(map[string]any)["errors"])
	require.Equal(t, "not_found", do(t, b.sandbox, "PATCH", "/api-keys/"+other.ID, adminToken, `{"name":"x"}`).errorCode())
	require.Equal(t, "forbidden", do(t, b.sandbox, "PATCH", "/api-keys/"+id, readerToken, `{"name":"x"}`).errorCode())

	require.Equal(t, 200, do(t, b.sandbox, "PATCH", "/api-keys/"+id, adminToken, `{"status":"revoked"}`).status)
	b.clock.Add(61 * time.Minute)
	r = do(t, b.sandbox, "PATCH", "/api-keys/"+id, adminToken, `{"status":"active"}`)
	require.Equal(t, 400, r.status)
	require.Equal(t, "api_key_cannot_be_reactivated", r.errorCode())
	require.Equal(t, "https://developer.paddle.com/errors/api_keys/api_key_cannot_be_reactivated", r.body["error"].(map[string]any)["documentation_url"])

	// The events of it all.
	events, _, err := b.svc.ListEvents(b.ctx, app.AccountScope(b.sdbxAcc.ID), keygate.EventFilter{EntityID: id})
	require.NoError(t, err)
	var types []keygate.EventType
	for _, e := range events {
		types = append(types, e.Type)
	}
	require.Equal(t, []keygate.EventType{keygate.EventAPIKeyCreated, keygate.EventAPIKeyUpdated, keygate.EventAPIKeyRevoked}, types)
}

func TestAPIKeysList(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	admin, token := b.key(t, b.sdbxAcc, "api_key.read")
	ids := []string{admin.ID}
	for range 4 {
		b.clock.Add(time.Millisecond)
		k, _ := b.key(t, b.sdbxAcc, "price.read")
		ids = append(ids, k.ID)
	}
	_, err := b.svc.RevokeAPIKey(b.ctx, app.AccountScope(b.sdbxAcc.ID), ids[1])
	require.NoError(t, err)

	got := func(r response) (out []string) {
		for _, k := range r.list() {
			m := k.(map[string]any)
			require.Regexp(t, obfuscated, m["key"])
			out = append(out, m["id"].(string))
		}
		return out
	}
	page := func(r response) map[string]any { return r.body["meta"].(map[string]any)["pagination"].(map[string]any) }

	r := do(t, b.sandbox, "GET", "/api-keys?per_page=2", token, "")
	require.Equal(t, 200, r.status, r.raw)
	require.Equal(t, ids[:2], got(r))
	p := page(r)
	require.Equal(t, map[string]any{"per_page": 2.0, "has_more": true, "estimated_total": 5.0,
		"next": b.sandbox.URL + "/api-keys?after=" + ids[1] + "&per_page=2"}, p)

	next, err := url.Parse(p["next"].(string))
	require.NoError(t, err)
	r = do(t, b.sandbox, "GET", next.RequestURI(), token, "")
	require.Equal(t, ids[2:4], got(r))
	r = do(t, b.sandbox, "GET", "/api-keys?per_page=2&after="+ids[3], token, "")
	require.Equal(t, ids[4:], got(r))
	require.Equal(t, false, page(r)["has_more"])
	require.Equal(t, b.sandbox.URL+"/api-keys?after="+ids[4]+"&per_page=2", page(r)["next"], "next is always present")

	r = do(t, b.sandbox, "GET", "/api-keys?order_by=id[DESC]&per_page=1", token, "")
	require.Equal(t, ids[4:], got(r))

	r = do(t, b.sandbox, "GET", "/api-keys?per_page=5000", token, "")
	require.Equal(t, 200.0, page(r)["per_page"], "a page larger than the maximum is the maximum")
	require.Equal(t, ids, got(r))

	r = do(t, b.sandbox, "GET", fmt.Sprintf("/api-keys?id=%s,%s", ids[1], ids[3]), token, "")
	require.Equal(t, []string{ids[1], ids[3]}, got(r))
	r = do(t, b.sandbox, "GET", "/api-keys?status=revoked", token, "")
	require.Equal(t, ids[1:2], got(r))
	require.Equal(t, 1.0, page(r)["estimated_total"])

	req, _ := http.NewRequest("GET", b.sandbox.URL+"/api-keys", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Skip-Count", "true")
	require.Equal(t, -1.0, page(send(t, req))["estimated_total"])

	r = do(t, b.sandbox, "GET", "/api-keys", token, "")
	empty := b.sandbox.URL + "/api-keys"
	require.True(t, strings.HasPrefix(page(r)["next"].(string), empty+"?after="))
}
