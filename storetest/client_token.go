package storetest

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
)

func testClientTokens(t *testing.T, h Harness) {
	b := setup(t, h)
	a := b.mustAccount(t, keygate.Sandbox)
	sc := app.AccountScope(a.ID)
	tok, err := b.svc.CreateClientToken(b.ctx, sc, a.ID, keygate.ClientTokenCreate{Name: "Pricing page", Description: ptr("Paddle.js")})
	require.NoError(t, err)
	require.Regexp(t, regexp.MustCompile(`^test_[a-zA-Z0-9]{27}$`), tok.Token)
	require.Regexp(t, `^ctkn_[a-z\d]{26}$`, tok.ID)
	other, err := b.svc.CreateClientToken(b.ctx, sc, a.ID, keygate.ClientTokenCreate{Name: "Checkout"})
	require.NoError(t, err)

	var byToken *keygate.ClientToken
	require.NoError(t, b.store.View(b.ctx, func(tx keygate.Tx) (err error) {
		byToken, err = tx.FindClientTokenByToken(b.ctx, tok.Token)
		return err
	}))
	require.Equal(t, tok, byToken)

	revoked, err := b.svc.RevokeClientToken(b.ctx, sc, tok.ID)
	require.NoError(t, err)
	require.Equal(t, keygate.ClientTokenRevoked, revoked.Status)
	require.Equal(t, T0, *revoked.RevokedAt)
	_, err = b.svc.RevokeClientToken(b.ctx, sc, tok.ID)
	require.NoError(t, err, "revoking again changes nothing")

	list, total, err := b.svc.ListClientTokens(b.ctx, sc, keygate.ClientTokenFilter{Statuses: []keygate.ClientTokenStatus{keygate.ClientTokenActive}})
	require.NoError(t, err)
	require.Equal(t, 1, total)
	require.Equal(t, other.ID, list[0].ID)

	var types []keygate.EventType
	for _, e := range b.events(t, a) {
		types = append(types, e.Type)
	}
	require.Equal(t, []keygate.EventType{keygate.EventClientCreated, keygate.EventClientCreated, keygate.EventClientUpdated, keygate.EventClientRevoked}, types)

	stranger := app.AccountScope(b.mustAccount(t, keygate.Sandbox).ID)
	_, err = b.svc.GetClientToken(b.ctx, stranger, tok.ID)
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err))
	_, err = b.svc.RevokeClientToken(b.ctx, stranger, other.ID)
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err))
	_, err = b.svc.CreateClientToken(b.ctx, sc, a.ID, keygate.ClientTokenCreate{Name: ""})
	require.Equal(t, keygate.CodeInvalidField, keygate.ErrorCode(err))
}
