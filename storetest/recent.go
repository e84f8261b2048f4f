package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/credential"
)

// testRecentAPIKeys checks the keys a starting node warms its cache with:
// only standard keys in service that were used, the most recently used
// first, at most the limit; revoked, expired, legacy and never-used keys are
// left out; fn's error stops the scan. In a transaction and, where the store
// has them, in direct reads.
func testRecentAPIKeys(t *testing.T, h Harness) {
	b := setup(t, h)
	a := b.mustAccount(t, keygate.Live)
	sc := app.AccountScope(a.ID)
	first, _ := b.mustKey(t, a, "first")
	second, _ := b.mustKey(t, a, "second")
	third, _ := b.mustKey(t, a, "third")
	revoked, _ := b.mustKey(t, a, "revoked")
	unused, _ := b.mustKey(t, a, "unused")
	expiring, _, err := b.svc.CreateAPIKey(b.ctx, sc, a.ID, keygate.APIKeyCreate{Name: "expiring", Permissions: []keygate.Permission{"price.read"}, ExpiresAt: ptr(T0.Add(time.Hour))})
	require.NoError(t, err)
	legacy, err := b.svc.ImportLegacyKey(b.ctx, sc, a.ID, "legacy", credential.NewLegacyKey())
	require.NoError(t, err)
	_, err = b.svc.RevokeAPIKey(b.ctx, sc, revoked.ID)
	require.NoError(t, err)
	require.NoError(t, b.store.Update(b.ctx, func(tx keygate.Tx) error {
		return tx.TouchAPIKeys(b.ctx, []keygate.LastUse{
			{ID: first.ID, At: T0.Add(1 * time.Minute), Requests: 1},
			{ID: third.ID, At: T0.Add(2 * time.Minute), Requests: 1},
			{ID: second.ID, At: T0.Add(3 * time.Minute), Requests: 1},
			{ID: revoked.ID, At: T0.Add(4 * time.Minute), Requests: 1},
			{ID: expiring.ID, At: T0.Add(5 * time.Minute), Requests: 1},
			{ID: legacy.ID, At: T0.Add(6 * time.Minute), Requests: 1},
		})
	}))
	_ = unused

	readers := map[string]func(fn func(keygate.Tx) error) error{
		"View": func(fn func(keygate.Tx) error) error { return b.store.View(b.ctx, fn) },
	}
	if r, ok := b.store.(keygate.DirectReader); ok {
		readers["ReadDirect"] = func(fn func(keygate.Tx) error) error { return r.ReadDirect(b.ctx, fn) }
	}
	for name, read := range readers {
		recent := func(now time.Time, limit int) []string {
			var ids []string
			require.NoError(t, read(func(tx keygate.Tx) error {
				return tx.EachRecentAPIKey(b.ctx, now, limit, func(k *keygate.APIKey) error {
					require.Equal(t, keygate.APIKeyActive, k.Status)
					require.NotEmpty(t, k.SecretHash)
					ids = append(ids, k.ID)
					return nil
				})
			}), name)
			return ids
		}
		// Before its expiry the expiring key is in service.
		require.Equal(t, []string{expiring.ID, second.ID, third.ID, first.ID}, recent(T0.Add(10*time.Minute), 10), name)
		require.Equal(t, []string{second.ID, third.ID, first.ID}, recent(T0.Add(2*time.Hour), 10), name)
		require.Equal(t, []string{second.ID, third.ID}, recent(T0.Add(2*time.Hour), 2), name)

		stop := errors.New("stop")
		n := 0
		err := read(func(tx keygate.Tx) error {
			return tx.EachRecentAPIKey(b.ctx, T0.Add(2*time.Hour), 10, func(*keygate.APIKey) error { n++; return stop })
		})
		require.ErrorIs(t, err, stop, name)
		require.Equal(t, 1, n, name)
	}
}
