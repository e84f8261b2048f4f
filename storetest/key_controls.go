package storetest

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/credential"
)

// testKeyControls checks that a key's controls survive the store, that a
// spend of credits is charged, crosses each threshold once with its event,
// and records no change, and that a key of another account is not found.
func testKeyControls(t *testing.T, h Harness) {
	b := setup(t, h)
	a := b.mustAccount(t, keygate.Live)
	sc := app.AccountScope(a.ID)
	k, _, err := b.svc.CreateAPIKey(b.ctx, sc, a.ID, keygate.APIKeyCreate{
		Name: "metered", Permissions: []keygate.Permission{"customer.read"},
		AllowedIPs: []string{"10.0.0.0/8", "2001:db8::/32", "10.0.0.0/8"},
		RateLimit:  &keygate.RateLimit{Requests: 5, Per: keygate.PerMinute},
		Credits:    &keygate.CreditsSet{Remaining: 10, Refill: &keygate.CreditRefill{Amount: 20, Interval: keygate.RefillMonthly}},
	})
	require.NoError(t, err)
	got, err := b.svc.GetAPIKey(b.ctx, sc, k.ID)
	require.NoError(t, err)
	require.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}, got.AllowedIPs, "duplicates dropped")
	require.Equal(t, &keygate.RateLimit{Requests: 5, Per: keygate.PerMinute}, got.RateLimit)
	require.Equal(t, &keygate.Credits{Remaining: 10, Granted: 10, Refill: &keygate.CreditRefill{Amount: 20, Interval: keygate.RefillMonthly}, RefilledAt: T0}, got.Credits)

	var seq int64
	lastSeq := func() int64 {
		b.settle(t)
		require.NoError(t, b.store.View(b.ctx, func(tx keygate.Tx) (err error) {
			seq, err = tx.LastChangeSeq(b.ctx)
			return err
		}))
		return seq
	}
	other := b.mustAccount(t, keygate.Sandbox)
	foreign, _ := b.mustKey(t, other, "other")
	before := lastSeq()
	balances, err := b.svc.SpendCredits(b.ctx, []keygate.CreditSpend{{APIKeyID: k.ID, Credits: 7}, {APIKeyID: foreign.ID, Credits: 3}, {APIKeyID: "apikey_01jkdpbhazdpn3wpcya45as9tg", Credits: 1}})
	require.NoError(t, err)
	require.Len(t, balances, 3)
	for _, bal := range balances {
		if bal.APIKeyID == k.ID {
			require.Equal(t, int64(3), bal.Credits.Remaining)
		} else {
			require.Nil(t, bal.Credits, "no credits, or no key")
		}
	}
	require.Equal(t, before, lastSeq(), "a spend records no change")
	_, err = b.svc.SpendCredits(b.ctx, []keygate.CreditSpend{{APIKeyID: k.ID, Credits: 1}})
	require.NoError(t, err)
	_, err = b.svc.SpendCredits(b.ctx, []keygate.CreditSpend{{APIKeyID: k.ID, Credits: 5}})
	require.NoError(t, err)
	_, err = b.svc.SpendCredits(b.ctx, []keygate.CreditSpend{{APIKeyID: k.ID, Credits: 1}})
	require.NoError(t, err)
	got, err = b.svc.GetAPIKey(b.ctx, sc, k.ID)
	require.NoError(t, err)
	require.Equal(t, int64(0), got.Credits.Remaining, "never below zero")
	var thresholds []keygate.EventType
	for _, e := range b.events(t, a) {
		if e.Type == keygate.EventUsageThreshold {
			thresholds = append(thresholds, e.Type)
		}
	}
	require.Len(t, thresholds, 2, "80% and 100%, once each")
	for _, e := range b.events(t, other) {
		require.NotEqual(t, keygate.EventUsageThreshold, e.Type, "the other account's key has no credits")
	}

	// The monthly refill, at the first spend after the month turned.
	b.clock.Add(40 * 24 * time.Hour)
	balances, err = b.svc.SpendCredits(b.ctx, []keygate.CreditSpend{{APIKeyID: k.ID, Credits: 0}})
	require.NoError(t, err)
	require.Equal(t, int64(20), balances[0].Credits.Remaining)

	// Another account's key can't be given controls.
	_, err = b.svc.UpdateAPIKey(b.ctx, sc, foreign.ID, keygate.APIKeyUpdate{AllowedIPs: &[]string{"10.0.0.0/8"}})
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err))
}

// testAPIKeyCredential checks that the read of a cache miss returns what
// authentication needs exactly as the full read does, for keys of every
// shape (controls, expiry, rotatable, legacy, revoked), in a transaction
// and directly, and nothing else; CodeNotFound for an unknown key.
func testAPIKeyCredential(t *testing.T, h Harness) {
	b := setup(t, h)
	a := b.mustAccount(t, keygate.Live)
	sc := app.AccountScope(a.ID)
	expires := T0.Add(48 * time.Hour)
	full, _, err := b.svc.CreateAPIKey(b.ctx, sc, a.ID, keygate.APIKeyCreate{
		Name: "metered", Description: ptr("every control"), Permissions: []keygate.Permission{"customer.read", "product.write"},
		AllowedIPs: []string{"10.0.0.0/8", "2001:db8::/32"}, RateLimit: &keygate.RateLimit{Requests: 5, Per: keygate.PerMinute},
		Credits:   &keygate.CreditsSet{Remaining: 10, Refill: &keygate.CreditRefill{Amount: 20, Interval: keygate.RefillMonthly}},
		ExpiresAt: &expires,
	})
	require.NoError(t, err)
	plain, _ := b.mustKey(t, a, "plain")
	revoked, _ := b.mustKey(t, b.mustAccount(t, keygate.Sandbox), "revoked")
	_, err = b.svc.RevokeAPIKey(b.ctx, app.AccountScope(revoked.AccountID), revoked.ID)
	require.NoError(t, err)
	legacy, err := b.svc.ImportLegacyKey(b.ctx, sc, a.ID, "old", credential.NewLegacyKey())
	require.NoError(t, err)

	reads := map[string]func(func(keygate.Tx) error) error{"in a transaction": func(fn func(keygate.Tx) error) error { return b.store.View(b.ctx, fn) }}
	if r, ok := b.store.(keygate.DirectReader); ok {
		reads["directly"] = func(fn func(keygate.Tx) error) error { return r.ReadDirect(b.ctx, fn) }
	}
	for how, read := range reads {
		for _, k := range []*keygate.APIKey{full, plain, revoked, legacy} {
			var whole, got *keygate.APIKey
			require.NoError(t, read(func(tx keygate.Tx) (err error) {
				if whole, err = tx.FindAPIKeyByID(b.ctx, k.ID); err != nil {
					return err
				}
				got, err = tx.FindAPIKeyCredential(b.ctx, k.ID)
				return err
			}), how)
			want := keygate.APIKey{
				ID: whole.ID, AccountID: whole.AccountID, Environment: whole.Environment, Status: whole.Status,
				Permissions: whole.Permissions, Rotatable: whole.Rotatable, Legacy: whole.Legacy, SecretHash: whole.SecretHash,
				ExpiresAt: whole.ExpiresAt, AllowedIPs: whole.AllowedIPs, RateLimit: whole.RateLimit, Credits: whole.Credits,
			}
			require.Equal(t, &want, got, "%s, %s", how, k.Name)
		}
		err := read(func(tx keygate.Tx) error {
			_, err := tx.FindAPIKeyCredential(b.ctx, credential.NewID("apikey", T0))
			return err
		})
		require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err), how)
	}
	require.NotNil(t, full.ExpiresAt)
	require.True(t, legacy.Legacy)
}
