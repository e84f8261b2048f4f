package api_test

import (
	"context"
	"testing"

	paddle "github.com/PaddleHQ/paddle-go-sdk/v4"
	"github.com/PaddleHQ/paddle-go-sdk/v4/pkg/paddleerr"
	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
)

// TestNotificationSettingsSDK manages destinations with Paddle's Go SDK.
func TestNotificationSettingsSDK(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	_, token := b.key(t, b.sdbxAcc, "notification_setting.write")
	client, err := paddle.New(token, paddle.WithBaseURL(b.sandbox.URL))
	require.NoError(t, err)
	ctx := context.Background()

	created, err := client.CreateNotificationSetting(ctx, &paddle.CreateNotificationSettingRequest{
		Description: "Ops", Destination: "https://hooks.example.com/paddle", Type: paddle.NotificationSettingTypeURL,
		SubscribedEvents: []paddle.EventTypeName{"api_key.revoked", "api_key.expiring"},
	})
	require.NoError(t, err)
	require.Regexp(t, `^ntfset_[a-z\d]{26}$`, created.ID)
	require.Regexp(t, `^pdl_ntfset_[a-z\d]{26}_[a-zA-Z\d]{32}$`, created.EndpointSecretKey)
	require.True(t, created.Active)
	require.Equal(t, 1, created.APIVersion)
	require.Equal(t, paddle.TrafficSourcePlatform, created.TrafficSource)
	require.Len(t, created.SubscribedEvents, 2)
	require.Equal(t, paddle.EventTypeName("api_key.revoked"), created.SubscribedEvents[0].Name)
	require.NotEmpty(t, created.SubscribedEvents[0].Description)

	got, err := client.GetNotificationSetting(ctx, &paddle.GetNotificationSettingRequest{NotificationSettingID: created.ID})
	require.NoError(t, err)
	require.Equal(t, created.EndpointSecretKey, got.EndpointSecretKey)

	updated, err := client.UpdateNotificationSetting(ctx, &paddle.UpdateNotificationSettingRequest{
		NotificationSettingID: created.ID, Active: paddle.NewPatchField(false), Description: paddle.NewPatchField("Ops (paused)"),
	})
	require.NoError(t, err)
	require.False(t, updated.Active)
	require.Equal(t, "Ops (paused)", updated.Description)

	list, err := client.ListNotificationSettings(ctx, &paddle.ListNotificationSettingsRequest{})
	require.NoError(t, err)
	var ids []string
	require.NoError(t, list.Iter(ctx, func(s *paddle.NotificationSetting) (bool, error) {
		ids = append(ids, s.ID)
		return true, nil
	}))
	require.Equal(t, []string{created.ID}, ids)

	require.NoError(t, client.DeleteNotificationSetting(ctx, &paddle.DeleteNotificationSettingRequest{NotificationSettingID: created.ID}))
	_, err = client.GetNotificationSetting(ctx, &paddle.GetNotificationSettingRequest{NotificationSettingID: created.ID})
	require.ErrorIs(t, err, paddle.ErrNotFound)

	_, err = client.CreateNotificationSetting(ctx, &paddle.CreateNotificationSettingRequest{
		Description: "Bad", Destination: "ftp://x", Type: paddle.NotificationSettingTypeURL, SubscribedEvents: []paddle.EventTypeName{"price.created"},
	})
	var perr *paddleErr
	require.ErrorAs(t, err, &perr)
	require.Equal(t, "invalid_field", perr.Code)
	require.Len(t, perr.Errors, 2)
}

// TestEventsAndNotifications covers /events and /notifications.
func TestEventsAndNotifications(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	_, token := b.key(t, b.sdbxAcc, "notification.write", "notification_setting.read")
	_, readToken := b.key(t, b.sdbxAcc, "notification.read")
	s, err := b.svc.CreateNotificationSetting(b.ctx, app.AccountScope(b.sdbxAcc.ID), b.sdbxAcc.ID, keygate.NotificationSettingCreate{
		Description: "d", Type: keygate.DestinationURL, Destination: "https://example.com/hook", SubscribedEvents: []keygate.EventType{keygate.EventAPIKeyRevoked},
	})
	require.NoError(t, err)
	k, _ := b.key(t, b.sdbxAcc, "price.read")
	_, err = b.svc.RevokeAPIKey(b.ctx, app.AccountScope(b.sdbxAcc.ID), k.ID)
	require.NoError(t, err)

	r := do(t, b.sandbox, "GET", "/events?event_type=api_key.revoked", readToken, "")
	require.Equal(t, 200, r.status, r.raw)
	require.Len(t, r.list(), 1)
	e := r.list()[0].(map[string]any)
	require.Equal(t, "api_key.revoked", e["event_type"])
	require.Equal(t, k.ID, e["data"].(map[string]any)["id"])
	require.Regexp(t, `^pdl_sdbx_apikey_[a-z\d]{10}\*\*\*\*$`, e["data"].(map[string]any)["key"])
	require.Len(t, do(t, b.sandbox, "GET", "/events", readToken, "").list(), 4, "3 keys created, 1 revoked")
	require.Equal(t, "invalid_field", do(t, b.sandbox, "GET", "/events?event_type=price.created", readToken, "").errorCode())
	require.Equal(t, 200, do(t, b.sandbox, "GET", "/events", token, "").status, "notification.write implies notification.read")
	_, priceToken := b.key(t, b.sdbxAcc, "price.read")
	require.Equal(t, "forbidden", do(t, b.sandbox, "GET", "/events", priceToken, "").errorCode())

	r = do(t, b.sandbox, "GET", "/notifications?notification_setting_id="+s.ID, readToken, "")
	require.Equal(t, 200, r.status, r.raw)
	require.Len(t, r.list(), 1)
	n := r.list()[0].(map[string]any)
	require.Equal(t, "not_attempted", n["status"])
	require.Equal(t, "event", n["origin"])
	require.Equal(t, s.ID, n["notification_setting_id"])
	require.Equal(t, n["id"], n["payload"].(map[string]any)["notification_id"])
	id := n["id"].(string)

	r = do(t, b.sandbox, "GET", "/notifications/"+id+"/logs", readToken, "")
	require.Equal(t, 200, r.status)
	require.Empty(t, r.list())
	r = do(t, b.sandbox, "POST", "/notifications/"+id+"/replay", token, "")
	require.Equal(t, 400, r.status)
	require.Equal(t, "notification_cannot_replay", r.errorCode())
	require.Equal(t, "https://developer.paddle.com/errors/notifications/notification_cannot_replay", r.body["error"].(map[string]any)["documentation_url"])
	require.Equal(t, "forbidden", do(t, b.sandbox, "POST", "/notifications/"+id+"/replay", readToken, "").errorCode())
	require.Equal(t, "invalid_field", do(t, b.sandbox, "GET", "/notifications?search=x", readToken, "").errorCode())
}

type paddleErr = paddleerr.Error

// TestPatchRefusals checks the PATCH bodies of destinations and client-side
// tokens: a mistyped or null field and a field the request does not have
// are each named in one invalid_field answer, sorted by field, and change
// nothing; another account's ID is not_found.
func TestPatchRefusals(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	_, token := b.key(t, b.sdbxAcc, "notification_setting.write", "client_token.write", "transaction.read")
	_, foreignToken := b.key(t, b.liveAcc, "notification_setting.write", "client_token.write")
	created := do(t, b.sandbox, "POST", "/notification-settings", token,
		`{"description":"Ops","destination":"https://hooks.example.com/p","type":"url","subscribed_events":["api_key.revoked"]}`)
	require.Equal(t, 201, created.status, created.raw)
	id := created.data()["id"].(string)
	ct := do(t, b.sandbox, "POST", "/client-tokens", token, `{"name":"web"}`)
	require.Equal(t, 201, ct.status, ct.raw)
	ctID := ct.data()["id"].(string)

	fieldsOf := func(r response) []string {
		var names []string
		for _, e := range r.body["error"].(map[string]any)["errors"].([]any) {
			names = append(names, e.(map[string]any)["field"].(string))
		}
		return names
	}
	r := do(t, b.sandbox, "PATCH", "/notification-settings/"+id, token, `{"active":"yes","description":null,"bogus":1,"api_version":"one"}`)
	require.Equal(t, 400, r.status, r.raw)
	require.Equal(t, "invalid_field", r.errorCode())
	require.Equal(t, []string{"active", "api_version", "bogus", "description"}, fieldsOf(r))
	got := do(t, b.sandbox, "GET", "/notification-settings/"+id, token, "")
	require.Equal(t, "Ops", got.data()["description"], "nothing changed")
	require.Equal(t, true, got.data()["active"])

	r = do(t, b.sandbox, "PATCH", "/client-tokens/"+ctID, token, `{"status":5,"name":"x"}`)
	require.Equal(t, "invalid_field", r.errorCode(), r.raw)
	require.Equal(t, []string{"name", "status"}, fieldsOf(r))
	require.Equal(t, "active", do(t, b.sandbox, "GET", "/client-tokens/"+ctID, token, "").data()["status"], "nothing changed")

	require.Equal(t, "not_found", do(t, b.live, "PATCH", "/notification-settings/"+id, foreignToken, `{"active":false}`).errorCode())
	require.Equal(t, "not_found", do(t, b.live, "PATCH", "/client-tokens/"+ctID, foreignToken, `{"status":"revoked"}`).errorCode())
	require.Equal(t, true, do(t, b.sandbox, "GET", "/notification-settings/"+id, token, "").data()["active"], "another account changed nothing")
}
