package storetest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/wire"
)

// testKeyPrefix checks that a store records its key prefix once: the first
// value wins, a later one is answered with the recorded one, and keys read
// carry it, so that they show it obfuscated.
func testKeyPrefix(t *testing.T, h Harness) {
	b := setup(t, h)
	got, err := b.store.KeyPrefix(b.ctx, "acme")
	require.NoError(t, err)
	require.Equal(t, "acme", got)
	got, err = b.store.KeyPrefix(b.ctx, "pdl")
	require.NoError(t, err)
	require.Equal(t, "acme", got, "the first prefix recorded is the database's")

	b.svc.KeyPrefix = "acme"
	a := b.mustAccount(t, keygate.Live)
	k, token := b.mustKey(t, a, "k", "customer.read")
	require.True(t, strings.HasPrefix(token, "acme_live_apikey_"), token)
	require.Equal(t, "acme", k.KeyPrefix)
	read, err := b.svc.GetAPIKey(b.ctx, app.AccountScope(a.ID), k.ID)
	require.NoError(t, err)
	require.Equal(t, "acme", read.KeyPrefix)
	require.True(t, strings.HasPrefix(wire.NewAPIKey(read, T0).Key, "acme_live_apikey_"))
	evs := b.events(t, a)
	require.Contains(t, string(evs[len(evs)-1].Data), `"key":"acme_live_apikey_`)

	// A rotation keeps the prefix, in the new key and in its obfuscated form.
	rk, _, err := b.svc.CreateAPIKey(b.ctx, app.AccountScope(a.ID), a.ID, keygate.APIKeyCreate{Name: "r", Permissions: []keygate.Permission{"customer.read"}, Rotatable: true})
	require.NoError(t, err)
	r, newKey, err := b.svc.RotateAPIKey(b.ctx, app.AccountScope(a.ID), rk.ID, keygate.APIKeyRotationCreate{GracePeriodSeconds: ptr(60)})
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(newKey, "acme_live_apikey_"), newKey)
	r, err = b.svc.GetAPIKeyRotation(b.ctx, app.AccountScope(a.ID), rk.ID, r.ID)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(*wire.NewAPIKeyRotation(r, "").NewKey, "acme_live_apikey_"))
}
