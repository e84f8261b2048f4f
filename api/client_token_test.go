package api_test

import (
	"context"
	"testing"

	paddle "github.com/PaddleHQ/paddle-go-sdk/v4"
	"github.com/stretchr/testify/require"
)

// TestClientTokensSDK manages client-side tokens with Paddle's Go SDK.
func TestClientTokensSDK(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	_, token := b.key(t, b.liveAcc, "client_token.write", "transaction.read") // it holds what tokens grant
	client, err := paddle.New(token, paddle.WithBaseURL(b.live.URL))
	require.NoError(t, err)
	ctx := context.Background()

	created, err := client.CreateClientToken(ctx, &paddle.CreateClientTokenRequest{Name: "Pricing page", Description: paddle.PtrTo("Paddle.js on /pricing")})
	require.NoError(t, err)
	require.Regexp(t, `^live_[a-zA-Z0-9]{27}$`, created.Token)
	require.Equal(t, paddle.ClientTokenStatusActive, created.Status)
	require.Nil(t, created.RevokedAt)

	got, err := client.GetClientToken(ctx, &paddle.GetClientTokenRequest{ClientTokenID: created.ID})
	require.NoError(t, err)
	require.Equal(t, created.Token, got.Token)

	list, err := client.ListClientTokens(ctx, &paddle.ListClientTokensRequest{Status: []string{"active"}})
	require.NoError(t, err)
	var ids []string
	require.NoError(t, list.Iter(ctx, func(ct *paddle.ClientSideToken) (bool, error) { ids = append(ids, ct.ID); return true, nil }))
	require.Equal(t, []string{created.ID}, ids)

	revoked, err := client.UpdateClientToken(ctx, &paddle.UpdateClientTokenRequest{ClientTokenID: created.ID, Status: paddle.NewPatchField(paddle.ClientTokenStatusRevoked)})
	require.NoError(t, err)
	require.Equal(t, paddle.ClientTokenStatusRevoked, revoked.Status)
	require.NotNil(t, revoked.RevokedAt)

	_, readToken := b.key(t, b.liveAcc, "price.read")
	reader, _ := paddle.New(readToken, paddle.WithBaseURL(b.live.URL))
	_, err = reader.CreateClientToken(ctx, &paddle.CreateClientTokenRequest{Name: "x"})
	require.ErrorIs(t, err, paddle.ErrForbidden)
}
