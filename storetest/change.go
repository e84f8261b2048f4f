package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
)

// testChangeFeed checks that every change to a key appears in the feed, in
// order, and that last uses and refused changes do not.
func testChangeFeed(t *testing.T, h Harness) {
	b := setup(t, h)
	var start int64
	require.NoError(t, b.store.View(b.ctx, func(tx keygate.Tx) (err error) {
		start, err = tx.LastChangeSeq(b.ctx)
		return err
	}))
	a := b.mustAccount(t, keygate.Live)
	sc := app.AccountScope(a.ID)
	k1, _ := b.mustKey(t, a, "one")
	k2, _ := b.mustKey(t, a, "two")
	_, err := b.svc.RevokeAPIKey(b.ctx, sc, k1.ID)
	require.NoError(t, err)
	_, err = b.svc.RevokeAPIKey(b.ctx, sc, k1.ID)
	require.Error(t, err, "refused: no change")
	require.NoError(t, b.store.Update(b.ctx, func(tx keygate.Tx) error {
		return tx.TouchAPIKeys(b.ctx, []keygate.LastUse{{ID: k2.ID, At: T0.Add(time.Minute)}})
	}))

	var changes []keygate.Change
	var last int64
	require.NoError(t, b.store.View(b.ctx, func(tx keygate.Tx) (err error) {
		if changes, err = tx.FindChanges(b.ctx, start, 100); err != nil {
			return err
		}
		last, err = tx.LastChangeSeq(b.ctx)
		return err
	}))
	var ids []string
	for i, c := range changes {
		ids = append(ids, c.CredentialID)
		if i > 0 {
			require.Greater(t, c.Seq, changes[i-1].Seq)
		}
	}
	require.Equal(t, []string{k1.ID, k2.ID, k1.ID}, ids)
	require.Equal(t, changes[2].Seq, last)

	var page []keygate.Change
	require.NoError(t, b.store.View(b.ctx, func(tx keygate.Tx) (err error) {
		page, err = tx.FindChanges(b.ctx, changes[0].Seq, 1)
		return err
	}))
	require.Equal(t, changes[1:2], page)
}
