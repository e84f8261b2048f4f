package storetest

import (
	"bytes"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
)

// testSessions checks dashboard sessions: found until they expire, gone
// once deleted, and the token itself never stored.
func testSessions(t *testing.T, h Harness) {
	b := setup(t, h)
	count := func(env keygate.Environment) int {
		var n int
		require.NoError(t, b.store.View(b.ctx, func(tx keygate.Tx) (err error) { n, err = tx.CountUsers(b.ctx, env); return err }))
		return n
	}
	require.Zero(t, count(""))
	a := b.mustAccount(t, keygate.Live)
	u, err := b.svc.CreateUser(b.ctx, keygate.UserCreate{AccountID: a.ID, Email: "ada@example.com", Password: "a long password"})
	require.NoError(t, err)
	require.Equal(t, 1, count(""))
	require.Equal(t, 1, count(keygate.Live))
	require.Zero(t, count(keygate.Sandbox), "users are counted per environment")

	token := "session-token-that-must-not-be-stored-0123456789"
	hash := sha256.Sum256([]byte(token))
	s := &keygate.Session{TokenHash: hash[:], UserID: u.ID, AccountID: a.ID, Environment: keygate.Live, CSRFToken: "csrf",
		ExpiresAt: T0.Add(time.Hour), CreatedAt: T0}
	require.NoError(t, b.store.Update(b.ctx, func(tx keygate.Tx) error { return tx.CreateSession(b.ctx, s) }))
	find := func(at time.Time) (*keygate.Session, error) {
		var got *keygate.Session
		err := b.store.View(b.ctx, func(tx keygate.Tx) (err error) { got, err = tx.FindSession(b.ctx, hash[:], at); return err })
		return got, err
	}
	got, err := find(T0.Add(59 * time.Minute))
	require.NoError(t, err)
	require.Equal(t, s, got)
	_, err = find(T0.Add(time.Hour))
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err), "an expired session is no session")

	var user *keygate.User
	require.NoError(t, b.store.View(b.ctx, func(tx keygate.Tx) (err error) { user, err = tx.FindUserByID(b.ctx, u.ID); return err }))
	require.Equal(t, u, user)
	require.False(t, bytes.Contains(h.Dump(t, b.store), []byte(token)))

	require.NoError(t, b.store.Update(b.ctx, func(tx keygate.Tx) error { return tx.DeleteSession(b.ctx, hash[:]) }))
	_, err = find(T0)
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err))
	require.NoError(t, b.store.Update(b.ctx, func(tx keygate.Tx) error { return tx.DeleteExpiredSessions(b.ctx, T0) }))
}
