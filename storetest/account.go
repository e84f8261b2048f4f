package storetest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
)

func testAccounts(t *testing.T, h Harness) {
	b := setup(t, h)
	live := b.mustAccount(t, keygate.Live)
	b.clock.Add(1)
	sdbx := b.mustAccount(t, keygate.Sandbox)

	got, err := b.svc.GetAccount(b.ctx, app.OperatorScope(), live.ID)
	require.NoError(t, err)
	require.Equal(t, live, got)

	_, err = b.svc.GetAccount(b.ctx, app.AccountScope(sdbx.ID), live.ID)
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err), "another account is not found")
	_, err = b.svc.GetAccount(b.ctx, app.OperatorScope(), "acc_01jkdpbhazdpn3wpcya45as9tg")
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err))

	list, total, err := b.svc.ListAccounts(b.ctx, keygate.AccountFilter{})
	require.NoError(t, err)
	require.Equal(t, []*keygate.Account{live, sdbx}, list)
	require.Equal(t, 2, total)

	env := keygate.Sandbox
	list, total, err = b.svc.ListAccounts(b.ctx, keygate.AccountFilter{Environment: &env})
	require.NoError(t, err)
	require.Equal(t, []*keygate.Account{sdbx}, list)
	require.Equal(t, 1, total)

	_, err = b.svc.CreateAccount(b.ctx, keygate.AccountCreate{Environment: "staging", Name: ""})
	require.Equal(t, keygate.CodeInvalidField, keygate.ErrorCode(err))
	require.Len(t, keygate.ErrorFields(err), 2)
}

func testUsers(t *testing.T, h Harness) {
	b := setup(t, h)
	live := b.mustAccount(t, keygate.Live)
	sdbx := b.mustAccount(t, keygate.Sandbox)

	u, err := b.svc.CreateUser(b.ctx, keygate.UserCreate{AccountID: live.ID, Email: " Ada@Example.com ", Password: "correct horse"})
	require.NoError(t, err)
	require.Equal(t, "ada@example.com", u.Email)
	require.Equal(t, keygate.Live, u.Environment)

	var found *keygate.User
	require.NoError(t, b.store.View(b.ctx, func(tx keygate.Tx) error {
		found, err = tx.FindUserByEmail(b.ctx, keygate.Live, "ADA@example.com")
		return err
	}))
	require.Equal(t, u, found)

	_, err = b.svc.CreateUser(b.ctx, keygate.UserCreate{AccountID: live.ID, Email: "ada@example.com", Password: "another one"})
	require.Equal(t, keygate.CodeConflict, keygate.ErrorCode(err), "an e-mail is unique within an environment")

	_, err = b.svc.CreateUser(b.ctx, keygate.UserCreate{AccountID: sdbx.ID, Email: "ada@example.com", Password: "another one"})
	require.NoError(t, err, "sandbox and live are separate")

	_, err = b.svc.CreateUser(b.ctx, keygate.UserCreate{AccountID: "acc_01jkdpbhazdpn3wpcya45as9tg", Email: "bob@example.com", Password: "correct horse"})
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err))

	_, err = b.svc.CreateUser(b.ctx, keygate.UserCreate{AccountID: live.ID, Email: "not an address", Password: "short"})
	require.Equal(t, keygate.CodeInvalidField, keygate.ErrorCode(err))
	require.Len(t, keygate.ErrorFields(err), 2)
}
