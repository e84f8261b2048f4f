package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
)

// testUsage checks that requests add up per key and hour.
func testUsage(t *testing.T, h Harness) {
	b := setup(t, h)
	a := b.mustAccount(t, keygate.Live)
	k, _ := b.mustKey(t, a, "k")
	hour := T0.Truncate(time.Hour)
	touch := func(uses ...keygate.LastUse) {
		require.NoError(t, b.store.Update(b.ctx, func(tx keygate.Tx) error { return tx.TouchAPIKeys(b.ctx, uses) }))
	}
	touch(keygate.LastUse{ID: k.ID, At: hour.Add(5 * time.Minute), Requests: 3})
	touch(keygate.LastUse{ID: k.ID, At: hour.Add(50 * time.Minute), Requests: 4},
		keygate.LastUse{ID: "apikey_01jkdpbhazdpn3wpcya45as9tg", At: hour, Requests: 9}) // unknown: skipped
	touch(keygate.LastUse{ID: k.ID, At: hour.Add(70 * time.Minute), Requests: 1})
	usage, err := b.svc.APIKeyUsage(b.ctx, app.AccountScope(a.ID), k.ID, hour.Add(-time.Hour))
	require.NoError(t, err)
	require.Equal(t, []keygate.Usage{{Hour: hour, Requests: 7}, {Hour: hour.Add(time.Hour), Requests: 1}}, usage)
	usage, err = b.svc.APIKeyUsage(b.ctx, app.AccountScope(a.ID), k.ID, hour.Add(time.Hour))
	require.NoError(t, err)
	require.Len(t, usage, 1)
	_, err = b.svc.APIKeyUsage(b.ctx, app.AccountScope(b.mustAccount(t, keygate.Live).ID), k.ID, hour)
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err))
}

// testUsageForbidden checks that refusals add up beside requests, and that
// an entry of refusals only leaves the last-used time alone.
func testUsageForbidden(t *testing.T, h Harness) {
	b := setup(t, h)
	a := b.mustAccount(t, keygate.Live)
	k, _ := b.mustKey(t, a, "k")
	hour := T0.Truncate(time.Hour)
	touch := func(uses ...keygate.LastUse) {
		require.NoError(t, b.store.Update(b.ctx, func(tx keygate.Tx) error { return tx.TouchAPIKeys(b.ctx, uses) }))
	}
	touch(keygate.LastUse{ID: k.ID, At: hour.Add(5 * time.Minute), Requests: 3, Forbidden: 1})
	touch(keygate.LastUse{ID: k.ID, At: hour.Add(50 * time.Minute), Forbidden: 2}, // refusals only
		keygate.LastUse{ID: "apikey_01jkdpbhazdpn3wpcya45as9tg", At: hour, Forbidden: 9}) // unknown: skipped
	touch(keygate.LastUse{ID: k.ID, At: hour.Add(70 * time.Minute), Forbidden: 4})
	usage, err := b.svc.APIKeyUsage(b.ctx, app.AccountScope(a.ID), k.ID, hour.Add(-time.Hour))
	require.NoError(t, err)
	require.Equal(t, []keygate.Usage{{Hour: hour, Requests: 3, Forbidden: 3}, {Hour: hour.Add(time.Hour), Forbidden: 4}}, usage)
	got, err := b.svc.GetAPIKey(b.ctx, app.AccountScope(a.ID), k.ID)
	require.NoError(t, err)
	require.NotNil(t, got.LastUsedAt)
	require.True(t, got.LastUsedAt.Equal(hour.Add(5*time.Minute)), "a refusal is not a use: %v", got.LastUsedAt)
}
