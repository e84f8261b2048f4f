package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	paddle "github.com/PaddleHQ/paddle-go-sdk/v4"
	"github.com/PaddleHQ/paddle-go-sdk/v4/pkg/paddleerr"
	"github.com/PaddleHQ/paddle-go-sdk/v4/pkg/paddlenotification"
	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
)

// TestPaddleGoSDK drives keygate with Paddle's official Go SDK, pointed at
// keygate by its base URL only.
func TestPaddleGoSDK(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	_, token := b.key(t, b.sdbxAcc, "price.read")

	client, err := paddle.New(token, paddle.WithBaseURL(b.sandbox.URL))
	require.NoError(t, err)
	types, err := client.ListEventTypes(context.Background(), &paddle.ListEventTypesRequest{})
	require.NoError(t, err)
	var names []string
	err = types.Iter(context.Background(), func(et *paddle.EventType) (bool, error) {
		names = append(names, string(et.Name))
		require.Equal(t, []int{1}, et.AvailableVersions)
		return true, nil
	})
	require.NoError(t, err)
	require.Len(t, names, len(keygate.EventTypes))
	require.Contains(t, names, "api_key.created")

	// A live key on the sandbox API: the SDK's own typed error.
	_, liveToken := b.key(t, b.liveAcc, "price.read")
	wrongEnv, err := paddle.New(liveToken, paddle.WithBaseURL(b.sandbox.URL))
	require.NoError(t, err)
	_, err = wrongEnv.ListEventTypes(context.Background(), &paddle.ListEventTypesRequest{})
	require.ErrorIs(t, err, paddle.ErrInvalidToken)
	var perr *paddleerr.Error
	require.True(t, errors.As(err, &perr))
	require.Equal(t, "invalid_token", perr.Code)
	require.Equal(t, "Invalid or revoked API key.", perr.Detail)

	missing, err := paddle.New("", paddle.WithBaseURL(b.sandbox.URL))
	require.NoError(t, err)
	_, err = missing.ListEventTypes(context.Background(), &paddle.ListEventTypesRequest{})
	require.ErrorIs(t, err, paddle.ErrAuthenticationMalformed, "the SDK sends \"Bearer \" with no token")
}

// TestPaddleGoSDKKeyWithControls decodes the api_key.created data of a key
// with every control with the SDK's own type: keygate's extension fields
// must not break it.
func TestPaddleGoSDKKeyWithControls(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	k, _, err := b.svc.CreateAPIKey(b.ctx, app.AccountScope(b.liveAcc.ID), b.liveAcc.ID, keygate.APIKeyCreate{
		Name: "limited", Permissions: []keygate.Permission{"price.read"}, AllowedIPs: []string{"10.0.0.0/8"},
		RateLimit: &keygate.RateLimit{Requests: 5, Per: keygate.PerSecond},
		Credits:   &keygate.CreditsSet{Remaining: 10, Refill: &keygate.CreditRefill{Amount: 100, Interval: keygate.RefillDaily}}})
	require.NoError(t, err)
	events, _, err := b.svc.ListEvents(b.ctx, app.AccountScope(b.liveAcc.ID), keygate.EventFilter{EntityID: k.ID})
	require.NoError(t, err)
	require.Len(t, events, 1)
	require.Contains(t, string(events[0].Data), `"allowed_ips":["10.0.0.0/8"]`)
	var data paddlenotification.APIKeyNotification
	require.NoError(t, json.Unmarshal(events[0].Data, &data))
	require.Equal(t, k.ID, data.ID)
	require.Equal(t, "limited", data.Name)
	require.Equal(t, "active", string(data.Status))
}
