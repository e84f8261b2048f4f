package api_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/postgres"
	"github.com/keygate/keygate/sqlite"
	"github.com/keygate/keygate/storetest"
)

// engineBundles returns the API over SQLite, and over PostgreSQL when
// KEYGATE_TEST_POSTGRES_URL is set (which refuses NUL in text, so that a
// NUL that got through would be a 500 there).
func engineBundles(t *testing.T) map[string]*bundle {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), sqlite.FileName))
	require.NoError(t, err)
	out := map[string]*bundle{"sqlite": setupOn(t, db, nil)}
	if os.Getenv(storetest.PostgresURLEnv) != "" {
		u, _ := storetest.PostgresSchema(t)
		pg, err := postgres.Open(context.Background(), u)
		require.NoError(t, err)
		out["postgres"] = setupOn(t, pg, nil)
	}
	return out
}

// TestBadText sends invalid UTF-8 and NUL in every kind of input, on every
// engine: each is invalid_field naming the field or parameter, never a
// 500, and nothing is created.
func TestBadText(t *testing.T) {
	t.Parallel()
	for engine, b := range engineBundles(t) {
		t.Run(engine, func(t *testing.T) {
			_, admin := b.key(t, b.liveAcc, "api_key.write", "price.read", "notification_setting.write", "client_token.write", "transaction.read")
			bodies := []struct{ path, body, field string }{
				{"/api-keys", `{"name":"a\u0000b","permissions":["price.read"]}`, "name"},
				{"/api-keys", "{\"name\":\"a\xffb\",\"permissions\":[\"price.read\"]}", "name"},
				{"/api-keys", `{"name":"k","description":"\u0000","permissions":["price.read"]}`, "description"},
				{"/api-keys", `{"name":"k","permissions":["price.read\u0000"]}`, "permissions"},
				{"/api-keys", `{"name":"k","permissions":["price.read"],"expires_at":"next tuesday"}`, "expires_at"},
				{"/api-keys", `{"name":"k","permissions":["price.read"],"expires_at":"2026-13-45T00:00:00Z"}`, "expires_at"},
				{"/api-keys", `{"NAME":"k","permissions":["price.read"]}`, "NAME"},
				{"/api-keys", `{"name":"k","Permissions":["price.read"]}`, "Permissions"},
				{"/client-tokens", `{"name":"\ud800"}`, "name"},
				{"/notification-settings", `{"description":"d\u0000","destination":"https://hooks.example.com/","type":"url","subscribed_events":["api_key.created"]}`, "description"},
			}
			for _, c := range bodies {
				r := do(t, b.live, "POST", c.path, admin, c.body)
				require.Equal(t, http.StatusBadRequest, r.status, "%s %s: %s", c.path, c.body, r.raw)
				require.Equal(t, "invalid_field", r.errorCode(), c.body)
				require.Equal(t, c.field, r.body["error"].(map[string]any)["errors"].([]any)[0].(map[string]any)["field"], c.body)
			}
			k, _ := b.key(t, b.liveAcc, "price.read")
			r := do(t, b.live, "PATCH", "/api-keys/"+k.ID, admin, `{"name":"x\u0000"}`)
			require.Equal(t, "invalid_field", r.errorCode(), r.raw)

			for _, q := range []string{"after=" + url.QueryEscape("apikey_\x00"), "after=%FF", "id=%00", "status=active%00", "name%00=1"} {
				r := do(t, b.live, "GET", "/api-keys?"+q, admin, "")
				require.Equal(t, http.StatusBadRequest, r.status, "%s: %s", q, r.raw)
				require.Equal(t, "invalid_field", r.errorCode(), q)
			}
			list, _, err := b.svc.ListAPIKeys(b.ctx, app.AccountScope(b.liveAcc.ID), keygate.APIKeyFilter{})
			require.NoError(t, err)
			require.Len(t, list, 2, "nothing created")
		})
	}
}
