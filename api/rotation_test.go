package api_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/credential"
)

var rotationID = regexp.MustCompile(`^apkrot_[a-z\d]{26}$`)

// rotatable creates a rotatable key in acc with permissions ps.
func (b *bundle) rotatable(t *testing.T, acc *keygate.Account, ps ...keygate.Permission) (*keygate.APIKey, string) {
	t.Helper()
	k, token, err := b.svc.CreateAPIKey(b.ctx, app.AccountScope(acc.ID), acc.ID, keygate.APIKeyCreate{Name: "aws", Permissions: ps, Rotatable: true})
	require.NoError(t, err)
	return k, token
}

// TestRotationEndpoints drives Paddle's rotation API: only the key itself
// rotates and reads its rotations; bad requests change nothing; the new key
// works at once, completes the rotation, and the old one stops after the
// grace.
func TestRotationEndpoints(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	sc := app.AccountScope(b.sdbxAcc.ID)
	_, err := b.svc.CreateNotificationSetting(b.ctx, sc, b.sdbxAcc.ID, keygate.NotificationSettingCreate{
		Description: "ops", Type: keygate.DestinationEmail, Destination: "ops@example.com",
		SubscribedEvents: []keygate.EventType{keygate.EventRotationCreated, keygate.EventRotationUpdated}})
	require.NoError(t, err)
	k, oldToken := b.rotatable(t, b.sdbxAcc, "customer.read")
	plain, plainToken := b.key(t, b.sdbxAcc, "customer.read")
	_, adminToken := b.key(t, b.sdbxAcc, "api_key.write", "api_key.read")
	path := "/api-keys/" + k.ID + "/rotations"

	r := do(t, b.sandbox, "POST", path, adminToken, `{"grace_period_seconds":2}`)
	require.Equal(t, http.StatusForbidden, r.status, r.raw)
	require.Equal(t, "forbidden", r.errorCode(), "another key, even with api_key.write")
	r = do(t, b.sandbox, "POST", "/api-keys/"+plain.ID+"/rotations", plainToken, `{"grace_period_seconds":2}`)
	require.Equal(t, http.StatusBadRequest, r.status, r.raw)
	require.Equal(t, "api_key_cannot_be_rotated", r.errorCode())
	require.Equal(t, "api_key_cannot_be_rotated", do(t, b.sandbox, "GET", "/api-keys/"+plain.ID+"/rotations", plainToken, "").errorCode())
	require.Equal(t, "invalid_token", do(t, b.live, "POST", path, oldToken, `{"grace_period_seconds":2}`).errorCode(), "the other environment")
	require.Equal(t, "bad_request", do(t, b.sandbox, "POST", "/api-keys/nope/rotations", oldToken, `{"grace_period_seconds":2}`).errorCode())

	for body, field := range map[string]string{
		`{}`:                               "grace_period_seconds",
		`{"grace_period_seconds":null}`:    "grace_period_seconds",
		`{"grace_period_seconds":"60"}`:    "grace_period_seconds",
		`{"grace_period_seconds":-1}`:      "grace_period_seconds",
		`{"grace_period_seconds":86401}`:   "grace_period_seconds",
		`{"grace_period_seconds":1.5}`:     "grace_period_seconds",
		`{"grace_period_seconds":1,"x":1}`: "x",
		`{"grace_period_seconds":1,"new_key_expires_at":"` + b.clock.Now().Add(-time.Second).Format(time.RFC3339Nano) + `"}`: "new_key_expires_at",
		`{"grace_period_seconds":1,"new_key_expires_at":"` + b.clock.Now().AddDate(1, 0, 1).Format(time.RFC3339Nano) + `"}`:  "new_key_expires_at",
	} {
		r := do(t, b.sandbox, "POST", path, oldToken, body)
		require.Equal(t, http.StatusBadRequest, r.status, body)
		require.Equal(t, "invalid_field", r.errorCode(), body)
		errs := r.body["error"].(map[string]any)["errors"].([]any)
		require.Equal(t, field, errs[0].(map[string]any)["field"], body)
	}
	r = do(t, b.sandbox, "GET", path, oldToken, "")
	require.Equal(t, 200, r.status, r.raw)
	require.Empty(t, r.list(), "no refused request made a rotation")

	r = do(t, b.sandbox, "POST", path, oldToken, `{"grace_period_seconds":2}`)
	require.Equal(t, http.StatusCreated, r.status, r.raw)
	rot := r.data()
	require.Regexp(t, rotationID, rot["id"])
	require.Equal(t, k.ID, rot["api_key_id"])
	require.Regexp(t, fullKey, rot["new_key"])
	newToken := rot["new_key"].(string)
	require.Equal(t, credential.IDBody(k.ID), strings.Split(newToken, "_")[3], "same ID, new secret")
	require.Equal(t, 2.0, rot["grace_period_seconds"])
	require.Equal(t, "pending", rot["status"])
	require.Contains(t, rot, "expires_at")
	require.Nil(t, rot["expires_at"])
	require.Regexp(t, paddleTime, rot["created_at"])
	require.Regexp(t, paddleTime, rot["updated_at"])

	// Other keys may not read the rotations; the key reads them newest first.
	require.Equal(t, "forbidden", do(t, b.sandbox, "GET", path, adminToken, "").errorCode())
	require.Equal(t, "forbidden", do(t, b.sandbox, "GET", path+"/"+rot["id"].(string), adminToken, "").errorCode())

	require.Equal(t, 200, do(t, b.sandbox, "GET", "/event-types", oldToken, "").status, "the old key works while pending")
	require.Equal(t, 200, do(t, b.sandbox, "GET", "/event-types", newToken, "").status, "the new key works at once")
	r = do(t, b.sandbox, "GET", path+"/"+rot["id"].(string), newToken, "")
	require.Equal(t, 200, r.status, r.raw)
	got := r.data()
	require.Equal(t, "completed", got["status"])
	require.Regexp(t, obfuscated, got["new_key"], "the new key is shown in full once only")
	exp, err := time.Parse(time.RFC3339Nano, got["expires_at"].(string))
	require.NoError(t, err)
	require.Equal(t, b.clock.Now().Add(2*time.Second), exp)

	require.Equal(t, 200, do(t, b.sandbox, "GET", "/event-types", oldToken, "").status, "the old key works during the grace")
	b.clock.Add(2 * time.Second)
	require.Equal(t, "invalid_token", do(t, b.sandbox, "GET", "/event-types", oldToken, "").errorCode(), "and stops at its end")
	require.Equal(t, 200, do(t, b.sandbox, "GET", "/event-types", newToken, "").status)

	// A second rotation; the list is newest first, filters by id, pages,
	// and skips the count on request.
	r = do(t, b.sandbox, "POST", path, newToken, `{"grace_period_seconds":0}`)
	require.Equal(t, http.StatusCreated, r.status, r.raw)
	second := r.data()["id"].(string)
	r = do(t, b.sandbox, "GET", path, newToken, "")
	require.Equal(t, []any{second, rot["id"]}, []any{r.list()[0].(map[string]any)["id"], r.list()[1].(map[string]any)["id"]})
	require.Equal(t, 2.0, r.body["meta"].(map[string]any)["pagination"].(map[string]any)["estimated_total"])
	r = do(t, b.sandbox, "GET", path+"?id="+rot["id"].(string), newToken, "")
	require.Len(t, r.list(), 1)
	require.Equal(t, "invalid_field", do(t, b.sandbox, "GET", path+"?id=apikey_x", newToken, "").errorCode())
	req, _ := http.NewRequest("GET", b.sandbox.URL+path+"?per_page=1", nil)
	req.Header.Set("Authorization", "Bearer "+newToken)
	req.Header.Set("Skip-Count", "true")
	r = send(t, req)
	pg := r.body["meta"].(map[string]any)["pagination"].(map[string]any)
	require.Equal(t, true, pg["has_more"])
	require.Equal(t, -1.0, pg["estimated_total"])
	require.Contains(t, pg["next"], "after="+second)

	// A rotation of another key is not found through this one.
	other, otherToken := b.rotatable(t, b.sdbxAcc, "customer.read")
	r = do(t, b.sandbox, "GET", "/api-keys/"+other.ID+"/rotations/"+second, otherToken, "")
	require.Equal(t, "not_found", r.errorCode())
	require.Equal(t, "bad_request", do(t, b.sandbox, "GET", path+"/apkrot_x", newToken, "").errorCode())

	// Events: created without new_key, updated on completion; delivered to
	// the account's destinations like every event.
	evs, _, err := b.svc.ListEvents(b.ctx, sc, keygate.EventFilter{Types: []keygate.EventType{keygate.EventRotationCreated, keygate.EventRotationUpdated}})
	require.NoError(t, err)
	var types []keygate.EventType
	for _, e := range evs {
		types = append(types, e.Type)
		require.NotContains(t, string(e.Data), "new_key")
		require.NotContains(t, string(e.Data), newToken[len(newToken)-26:])
	}
	require.Equal(t, []keygate.EventType{keygate.EventRotationCreated, keygate.EventRotationUpdated, keygate.EventRotationCreated}, types)
	ns, _, err := b.svc.ListNotifications(b.ctx, sc, keygate.NotificationFilter{})
	require.NoError(t, err)
	require.Len(t, ns, 3)
}

// TestRotateExtension checks keygate's POST /api-keys/{id}/rotate: a key
// with api_key.write rotates another key of its account.
func TestRotateExtension(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	k, oldToken := b.rotatable(t, b.sdbxAcc, "customer.read")
	plain, _ := b.key(t, b.sdbxAcc, "customer.read")
	_, adminToken := b.key(t, b.sdbxAcc, "api_key.write", "customer.read")
	foreign, _ := b.rotatable(t, b.liveAcc, "customer.read")
	strong, _ := b.rotatable(t, b.sdbxAcc, "customer.read", "transaction.write")
	_, weakAdmin := b.key(t, b.sdbxAcc, "api_key.write")

	require.Equal(t, "forbidden", do(t, b.sandbox, "POST", "/api-keys/"+k.ID+"/rotate", oldToken, `{"grace_period_seconds":5}`).errorCode(),
		"the extension needs api_key.write")
	require.Equal(t, "api_key_cannot_be_rotated", do(t, b.sandbox, "POST", "/api-keys/"+plain.ID+"/rotate", adminToken, `{"grace_period_seconds":5}`).errorCode())
	require.Equal(t, "not_found", do(t, b.sandbox, "POST", "/api-keys/"+foreign.ID+"/rotate", adminToken, `{"grace_period_seconds":5}`).errorCode())
	require.Equal(t, "invalid_field", do(t, b.sandbox, "POST", "/api-keys/"+k.ID+"/rotate", adminToken, `{}`).errorCode())

	// A rotation hands over the new secret: a key can't get one of a key
	// stronger than itself, or living longer.
	require.Equal(t, "forbidden", do(t, b.sandbox, "POST", "/api-keys/"+strong.ID+"/rotate", adminToken, `{"grace_period_seconds":5}`).errorCode(),
		"a permission the rotating key lacks")
	require.Equal(t, "forbidden", do(t, b.sandbox, "POST", "/api-keys/"+k.ID+"/rotate", weakAdmin, `{"grace_period_seconds":5}`).errorCode(),
		"api_key.write alone gets no customer.read key")
	later := b.clock.Now().Add(200 * 24 * time.Hour).UTC().Format(time.RFC3339)
	require.Equal(t, "forbidden", do(t, b.sandbox, "POST", "/api-keys/"+k.ID+"/rotate", adminToken, `{"grace_period_seconds":5,"new_key_expires_at":"`+later+`"}`).errorCode(),
		"past the rotating key's own expiry")
	rots, _, err := b.svc.ListAPIKeyRotations(b.ctx, app.AccountScope(b.sdbxAcc.ID), keygate.APIKeyRotationFilter{APIKeyID: k.ID})
	require.NoError(t, err)
	require.Empty(t, rots, "the refusals rotated nothing")
	require.Equal(t, 200, do(t, b.sandbox, "GET", "/event-types", oldToken, "").status)

	exp := b.clock.Now().Add(60 * 24 * time.Hour).UTC()
	r := do(t, b.sandbox, "POST", "/api-keys/"+k.ID+"/rotate", adminToken, `{"grace_period_seconds":5,"new_key_expires_at":"`+exp.Format(time.RFC3339Nano)+`"}`)
	require.Equal(t, http.StatusCreated, r.status, r.raw)
	newToken := r.data()["new_key"].(string)
	require.Regexp(t, fullKey, newToken)
	require.Equal(t, 200, do(t, b.sandbox, "GET", "/event-types", newToken, "").status)
	key := do(t, b.sandbox, "GET", "/api-keys/"+k.ID, newToken, "").data()
	require.Equal(t, exp.Format("2006-01-02T15:04:05.000000Z"), key["expires_at"], "the new expiry applies on completion")
	evs, _, err := b.svc.ListEvents(b.ctx, app.AccountScope(b.sdbxAcc.ID), keygate.EventFilter{EntityID: k.ID})
	require.NoError(t, err)
	require.Equal(t, keygate.EventAPIKeyUpdated, evs[len(evs)-1].Type)
}
