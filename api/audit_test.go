package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
)

// TestAuditLog: GET /audit-log lists the account's entries with Paddle's
// list conventions and its own permission; the entries of a change made by
// API record the key as actor with the request's IP and user agent; bad
// filters are invalid_field; another account's entries never show.
func TestAuditLog(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	_, adminToken := b.key(t, b.sdbxAcc, "api_key.write", "customer.read")
	auditor, auditorToken := b.key(t, b.sdbxAcc, "audit_log.read")
	_, noPerm := b.key(t, b.sdbxAcc, "customer.read")
	_, liveAuditor := b.key(t, b.liveAcc, "audit_log.read")

	req, err := http.NewRequest("POST", b.sandbox.URL+"/api-keys", strings.NewReader(`{"name":"CRM","permissions":["customer.read"]}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "crm-sync/2.1")
	r := send(t, req)
	require.Equal(t, http.StatusCreated, r.status, r.raw)
	created := r.data()["id"].(string)

	r = do(t, b.sandbox, "GET", "/audit-log?action=api_key.created&order_by=id[DESC]&per_page=1", auditorToken, "")
	require.Equal(t, 200, r.status, r.raw)
	list := r.list()
	require.Len(t, list, 1)
	e := list[0].(map[string]any)
	require.Equal(t, "api_key.created", e["action"])
	require.Equal(t, created, e["target_id"])
	actor := e["actor"].(map[string]any)
	require.Equal(t, "api_key", actor["type"])
	require.Equal(t, "127.0.0.1", actor["ip"])
	require.Equal(t, "crm-sync/2.1", actor["user_agent"])
	require.Regexp(t, paddleTime, e["occurred_at"])
	require.Len(t, e["hash"], 64)
	pg := r.body["meta"].(map[string]any)["pagination"].(map[string]any)
	require.Equal(t, 1.0, pg["per_page"])
	require.Equal(t, true, pg["has_more"], "the keys made by setup were created too")
	next, err := url.Parse(pg["next"].(string))
	require.NoError(t, err)
	require.Equal(t, e["id"], next.Query().Get("after"))
	require.Equal(t, "api_key.created", next.Query().Get("action"), "next keeps the filters")
	r = do(t, b.sandbox, "GET", next.RequestURI(), auditorToken, "")
	require.Equal(t, 200, r.status, r.raw)
	require.Len(t, r.list(), 1)
	require.NotEqual(t, e["id"], r.list()[0].(map[string]any)["id"])

	r = do(t, b.sandbox, "GET", "/audit-log?target_id="+created, auditorToken, "")
	require.Len(t, r.list(), 1)
	r = do(t, b.sandbox, "GET", "/audit-log?actor_type=api_key&actor_id="+auditor.ID, auditorToken, "")
	require.Empty(t, r.list(), "the auditor changed nothing")

	for _, q := range []string{"actor_type=robot", "action=api_key.deleted", "occurred_at[GTE]=yesterday", "occurred_at[LT]=2026-13-01T00:00:00Z", "after=evt_01jkdpbhazdpn3wpcya45as9tg", "per_page=0"} {
		r = do(t, b.sandbox, "GET", "/audit-log?"+q, auditorToken, "")
		require.Equal(t, http.StatusBadRequest, r.status, q)
		require.Equal(t, keygate.CodeInvalidField, r.errorCode(), q)
	}
	r = do(t, b.sandbox, "GET", "/audit-log", noPerm, "")
	require.Equal(t, http.StatusForbidden, r.status)
	require.Equal(t, keygate.CodeForbidden, r.errorCode())

	// The live account's auditor sees only its own account's entries.
	r = do(t, b.live, "GET", "/audit-log?target_id="+created, liveAuditor, "")
	require.Equal(t, 200, r.status, r.raw)
	require.Empty(t, r.list())
	r = do(t, b.live, "GET", "/audit-log", liveAuditor, "")
	for _, x := range r.list() {
		require.Equal(t, b.liveAcc.ID, x.(map[string]any)["account_id"])
	}
}
