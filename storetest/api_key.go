package storetest

import (
	"crypto/sha256"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/wire"
)

// testAPIKeyRoundTrip checks that every field survives the store exactly.
func testAPIKeyRoundTrip(t *testing.T, h Harness) {
	b := setup(t, h)
	a := b.mustAccount(t, keygate.Sandbox)
	exp := T0.Add(30 * 24 * time.Hour)
	k, token, err := b.svc.CreateAPIKey(b.ctx, app.AccountScope(a.ID), a.ID, keygate.APIKeyCreate{
		Name: "CRM ✓", Description: ptr("Syncs customers."), ExpiresAt: &exp, Rotatable: true,
		Permissions: []keygate.Permission{"transaction.write", "customer.read"},
	})
	require.NoError(t, err)

	tok, err := credential.ParseIn(token, credential.EnvSandbox)
	require.NoError(t, err)
	require.Equal(t, credential.IDBody(k.ID), tok.ID)
	sum := sha256.Sum256([]byte(tok.Secret))
	require.Equal(t, sum[:], k.SecretHash)

	got, err := b.svc.GetAPIKey(b.ctx, app.AccountScope(a.ID), k.ID)
	require.NoError(t, err)
	require.Equal(t, k, got)
	require.Equal(t, &keygate.APIKey{
		ID: k.ID, AccountID: a.ID, Environment: keygate.Sandbox, Name: "CRM ✓", Description: ptr("Syncs customers."),
		Status: keygate.APIKeyActive, Permissions: []keygate.Permission{"customer.read", "transaction.write"},
		Rotatable: true, SecretHash: sum[:], ExpiresAt: &exp, CreatedAt: T0, UpdatedAt: T0,
	}, got)

	// Every mutable field, written and read back; last use only through
	// TouchAPIKeys, and never backwards.
	got.ExposedAt, got.LastUsedAt = ptr(T0.Add(time.Second)), ptr(T0.Add(2*time.Second))
	got.Status, got.RevokedAt, got.RevokedBy = keygate.APIKeyRevoked, ptr(T0.Add(3*time.Second)), keygate.RevokedBySystem
	got.Description, got.UpdatedAt = nil, T0.Add(4*time.Second)
	require.NoError(t, b.store.Update(b.ctx, func(tx keygate.Tx) error {
		if err := tx.UpdateAPIKey(b.ctx, got); err != nil {
			return err
		}
		return tx.TouchAPIKeys(b.ctx, []keygate.LastUse{
			{ID: k.ID, At: T0.Add(2 * time.Second)}, {ID: k.ID, At: T0.Add(time.Second)},
			{ID: "apikey_01jkdpbhazdpn3wpcya45as9tg", At: T0},
		})
	}))
	again, err := b.svc.GetAPIKey(b.ctx, app.OperatorScope(), k.ID)
	require.NoError(t, err)
	require.Equal(t, got, again)
	require.Equal(t, T0.Add(4*time.Second), again.UpdatedAt, "a last use is not an update")

	missing := *got
	missing.ID = "apikey_01jkdpbhazdpn3wpcya45as9tg"
	err = b.store.Update(b.ctx, func(tx keygate.Tx) error { return tx.UpdateAPIKey(b.ctx, &missing) })
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err))
}

// testAPIKeyLifecycle walks a key through create, update, revoke and
// reactivate, and checks the event of each change.
func testAPIKeyLifecycle(t *testing.T, h Harness) {
	b := setup(t, h)
	a := b.mustAccount(t, keygate.Live)
	sc := app.AccountScope(a.ID)
	k, _ := b.mustKey(t, a, "CRM", "customer.read")

	b.clock.Add(time.Minute)
	k, err := b.svc.UpdateAPIKey(b.ctx, sc, k.ID, keygate.APIKeyUpdate{Name: ptr("CRM sync"), Permissions: &[]keygate.Permission{"customer.write"}})
	require.NoError(t, err)
	require.Equal(t, "CRM sync", k.Name)

	_, err = b.svc.UpdateAPIKey(b.ctx, sc, k.ID, keygate.APIKeyUpdate{Name: ptr("CRM sync")})
	require.NoError(t, err, "an update that changes nothing succeeds")

	_, err = b.svc.UpdateAPIKey(b.ctx, sc, k.ID, keygate.APIKeyUpdate{Name: ptr("")})
	require.Equal(t, keygate.CodeInvalidField, keygate.ErrorCode(err))

	b.clock.Add(time.Minute)
	revoked, err := b.svc.RevokeAPIKey(b.ctx, sc, k.ID)
	require.NoError(t, err)
	require.Equal(t, keygate.APIKeyRevoked, revoked.Status)
	require.Equal(t, keygate.RevokedByUser, revoked.RevokedBy)

	_, err = b.svc.RevokeAPIKey(b.ctx, sc, k.ID)
	require.Equal(t, keygate.CodeConflict, keygate.ErrorCode(err))

	b.clock.Add(time.Minute)
	back, err := b.svc.ReactivateAPIKey(b.ctx, sc, k.ID)
	require.NoError(t, err)
	require.Equal(t, keygate.APIKeyActive, back.Status)
	require.Nil(t, back.RevokedAt)

	stored, err := b.svc.GetAPIKey(b.ctx, sc, k.ID)
	require.NoError(t, err)
	require.Equal(t, back, stored)

	events := b.events(t, a)
	var types []keygate.EventType
	for _, e := range events {
		types = append(types, e.Type)
		require.Equal(t, k.ID, e.EntityID)
		require.Equal(t, a.ID, e.AccountID)
		require.Equal(t, keygate.Live, e.Environment)
	}
	require.Equal(t, []keygate.EventType{keygate.EventAPIKeyCreated, keygate.EventAPIKeyUpdated, keygate.EventAPIKeyRevoked, keygate.EventAPIKeyUpdated}, types,
		"one event per change; none for no-ops and refused changes")

	// The snapshot is the entity as the API shows it at the event.
	var snap wire.APIKey
	require.NoError(t, json.Unmarshal(events[2].Data, &snap))
	require.Equal(t, "revoked", snap.Status)
	require.Equal(t, "CRM sync", snap.Name)
	require.Equal(t, credential.Obfuscate("", credential.EnvLive, k.ID), snap.Key)
	require.Equal(t, []string{"customer.write"}, snap.Permissions)
	require.Equal(t, T0.Add(2*time.Minute), events[2].OccurredAt)
	require.NotContains(t, string(events[0].Data), "secret")
}

// testAPIKeyReactivation checks the 60-minute window through the store:
// allowed at 59 minutes, refused at 61, and a refusal changes nothing.
func testAPIKeyReactivation(t *testing.T, h Harness) {
	b := setup(t, h)
	a := b.mustAccount(t, keygate.Live)
	sc := app.AccountScope(a.ID)
	early, _ := b.mustKey(t, a, "early")
	late, _ := b.mustKey(t, a, "late")
	_, err := b.svc.RevokeAPIKey(b.ctx, sc, early.ID)
	require.NoError(t, err)
	_, err = b.svc.RevokeAPIKey(b.ctx, sc, late.ID)
	require.NoError(t, err)

	b.clock.Add(59 * time.Minute)
	_, err = b.svc.ReactivateAPIKey(b.ctx, sc, early.ID)
	require.NoError(t, err, "reactivation at 59 minutes")

	b.clock.Add(2 * time.Minute)
	before := len(b.events(t, a))
	_, err = b.svc.ReactivateAPIKey(b.ctx, sc, late.ID)
	require.Equal(t, keygate.CodeCannotReactivate, keygate.ErrorCode(err), "reactivation at 61 minutes")
	k, err := b.svc.GetAPIKey(b.ctx, sc, late.ID)
	require.NoError(t, err)
	require.Equal(t, keygate.APIKeyRevoked, k.Status)
	require.Len(t, b.events(t, a), before, "a refused change writes no event")
}

// testAPIKeyScope checks that no use case reaches a key of another account.
func testAPIKeyScope(t *testing.T, h Harness) {
	b := setup(t, h)
	mine, other := b.mustAccount(t, keygate.Live), b.mustAccount(t, keygate.Live)
	k, _ := b.mustKey(t, other, "theirs")
	sc := app.AccountScope(mine.ID)

	_, err := b.svc.GetAPIKey(b.ctx, sc, k.ID)
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err))
	require.Equal(t, "Entity "+k.ID+" not found", keygate.ErrorMessage(err), "the same answer as for a key that does not exist")
	_, err = b.svc.UpdateAPIKey(b.ctx, sc, k.ID, keygate.APIKeyUpdate{Name: ptr("mine now")})
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err))
	_, err = b.svc.RevokeAPIKey(b.ctx, sc, k.ID)
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err))
	_, err = b.svc.ReactivateAPIKey(b.ctx, sc, k.ID)
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err))
	_, _, err = b.svc.CreateAPIKey(b.ctx, sc, other.ID, keygate.APIKeyCreate{Name: "x", Permissions: []keygate.Permission{"price.read"}})
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err))
	_, err = b.svc.GetAPIKey(b.ctx, sc, "not-an-id")
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err))

	list, total, err := b.svc.ListAPIKeys(b.ctx, sc, keygate.APIKeyFilter{AccountID: other.ID})
	require.NoError(t, err)
	require.Empty(t, list, "an account scope lists its own keys whatever the filter says")
	require.Zero(t, total)
	require.Empty(t, b.events(t, mine))

	got, err := b.svc.GetAPIKey(b.ctx, app.AccountScope(other.ID), k.ID)
	require.NoError(t, err)
	require.Equal(t, "theirs", got.Name, "nothing was changed")
	_, err = b.svc.GetAPIKey(b.ctx, app.Scope{}, k.ID)
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err), "the zero scope sees nothing")
}

// testAPIKeyList checks keyset pagination both ways and the filters.
func testAPIKeyList(t *testing.T, h Harness) {
	b := setup(t, h)
	a := b.mustAccount(t, keygate.Live)
	sc := app.AccountScope(a.ID)
	var keys []*keygate.APIKey
	for i := 0; i < 7; i++ {
		b.clock.Add(time.Millisecond)
		k, _ := b.mustKey(t, a, "key")
		keys = append(keys, k)
	}
	ids := func(list []*keygate.APIKey) (out []string) {
		for _, k := range list {
			out = append(out, k.ID)
		}
		return out
	}

	page1, total, err := b.svc.ListAPIKeys(b.ctx, sc, keygate.APIKeyFilter{Page: keygate.Page{Limit: 3}})
	require.NoError(t, err)
	require.Equal(t, 7, total)
	require.Equal(t, ids(keys[:3]), ids(page1))
	page2, _, err := b.svc.ListAPIKeys(b.ctx, sc, keygate.APIKeyFilter{Page: keygate.Page{Limit: 3, After: page1[2].ID}})
	require.NoError(t, err)
	require.Equal(t, ids(keys[3:6]), ids(page2))

	desc, _, err := b.svc.ListAPIKeys(b.ctx, sc, keygate.APIKeyFilter{Page: keygate.Page{Limit: 2, Desc: true}})
	require.NoError(t, err)
	require.Equal(t, []string{keys[6].ID, keys[5].ID}, ids(desc))
	desc2, _, err := b.svc.ListAPIKeys(b.ctx, sc, keygate.APIKeyFilter{Page: keygate.Page{Limit: 2, Desc: true, After: keys[5].ID}})
	require.NoError(t, err)
	require.Equal(t, []string{keys[4].ID, keys[3].ID}, ids(desc2))

	byID, total, err := b.svc.ListAPIKeys(b.ctx, sc, keygate.APIKeyFilter{IDs: []string{keys[1].ID, keys[4].ID}})
	require.NoError(t, err)
	require.Equal(t, []string{keys[1].ID, keys[4].ID}, ids(byID))
	require.Equal(t, 2, total)

	_, err = b.svc.RevokeAPIKey(b.ctx, sc, keys[0].ID)
	require.NoError(t, err)
	b.clock.Add(keygate.DefaultKeyLifetime) // every key not revoked is now past its expiry
	expired, total, err := b.svc.ListAPIKeys(b.ctx, sc, keygate.APIKeyFilter{Statuses: []keygate.APIKeyStatus{keygate.APIKeyExpired}})
	require.NoError(t, err)
	require.Equal(t, ids(keys[1:]), ids(expired), "a key past its expiry is listed as expired though its stored status is active")
	require.Equal(t, 6, total)
	active, total, err := b.svc.ListAPIKeys(b.ctx, sc, keygate.APIKeyFilter{Statuses: []keygate.APIKeyStatus{keygate.APIKeyActive}})
	require.NoError(t, err)
	require.Empty(t, active)
	require.Zero(t, total)
	revoked, _, err := b.svc.ListAPIKeys(b.ctx, sc, keygate.APIKeyFilter{Statuses: []keygate.APIKeyStatus{keygate.APIKeyRevoked, keygate.APIKeyActive}})
	require.NoError(t, err)
	require.Equal(t, ids(keys[:1]), ids(revoked))

	_, total, err = b.svc.ListAPIKeys(b.ctx, sc, keygate.APIKeyFilter{Page: keygate.Page{SkipCount: true}})
	require.NoError(t, err)
	require.Equal(t, -1, total)

	_, _, err = b.svc.ListAPIKeys(b.ctx, app.OperatorScope(), keygate.APIKeyFilter{AccountID: "acc_01jkdpbhazdpn3wpcya45as9tg"})
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err))
}

// testAPIKeyConcurrent revokes one key from many goroutines at once: exactly
// one wins and exactly one event is written, on every engine.
func testAPIKeyConcurrent(t *testing.T, h Harness) {
	b := setup(t, h)
	a := b.mustAccount(t, keygate.Live)
	k, _ := b.mustKey(t, a, "contested")
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = b.svc.RevokeAPIKey(b.ctx, app.AccountScope(a.ID), k.ID)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else {
			require.Equal(t, keygate.CodeConflict, keygate.ErrorCode(err), err)
		}
	}
	require.Equal(t, 1, ok)
	revokes := 0
	for _, e := range b.events(t, a) {
		if e.Type == keygate.EventAPIKeyRevoked {
			revokes++
		}
	}
	require.Equal(t, 1, revokes)
}

// testLegacyKey imports a legacy key and checks its rules.
func testLegacyKey(t *testing.T, h Harness) {
	b := setup(t, h)
	a := b.mustAccount(t, keygate.Live)
	sc := app.AccountScope(a.ID)
	raw := credential.NewLegacyKey()
	k, err := b.svc.ImportLegacyKey(b.ctx, sc, a.ID, "Old integration", raw)
	require.NoError(t, err)
	require.True(t, k.Legacy)
	require.Nil(t, k.Permissions)
	require.Nil(t, k.ExpiresAt)
	require.Equal(t, keygate.AllPermissionSet, k.PermissionSet())

	sum := sha256.Sum256([]byte(raw))
	var found *keygate.APIKey
	require.NoError(t, b.store.View(b.ctx, func(tx keygate.Tx) error {
		found, err = tx.FindAPIKeyByHash(b.ctx, keygate.Live, sum[:])
		return err
	}))
	require.Equal(t, k, found)
	err = b.store.View(b.ctx, func(tx keygate.Tx) error {
		_, err := tx.FindAPIKeyByHash(b.ctx, keygate.Sandbox, sum[:])
		return err
	})
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err), "a legacy key belongs to its account's environment")

	_, err = b.svc.ImportLegacyKey(b.ctx, sc, a.ID, "Again", raw)
	require.Equal(t, keygate.CodeConflict, keygate.ErrorCode(err))
	_, err = b.svc.ImportLegacyKey(b.ctx, sc, a.ID, "Bad", "short")
	require.Equal(t, keygate.CodeInvalidField, keygate.ErrorCode(err))

	var snap wire.APIKey
	events := b.events(t, a)
	require.Len(t, events, 1)
	require.NoError(t, json.Unmarshal(events[0].Data, &snap))
	require.Nil(t, snap.Permissions)
	require.Equal(t, credential.ObfuscateLegacy(k.ID), snap.Key)

	_, err = b.svc.RevokeAPIKey(b.ctx, sc, k.ID)
	require.NoError(t, err)
	_, err = b.svc.ReactivateAPIKey(b.ctx, sc, k.ID)
	require.Equal(t, keygate.CodeCannotReactivate, keygate.ErrorCode(err))
}

// testAPIKeyPatch checks PATCH's all-or-nothing application of fields and
// status, and its idempotence.
func testAPIKeyPatch(t *testing.T, h Harness) {
	b := setup(t, h)
	a := b.mustAccount(t, keygate.Live)
	sc := app.AccountScope(a.ID)
	k, _ := b.mustKey(t, a, "patch me")
	revoked, active := keygate.APIKeyRevoked, keygate.APIKeyActive

	got, err := b.svc.PatchAPIKey(b.ctx, sc, k.ID, keygate.APIKeyUpdate{Name: ptr("renamed")}, &revoked)
	require.NoError(t, err)
	require.Equal(t, "renamed", got.Name)
	require.Equal(t, keygate.APIKeyRevoked, got.Status)

	_, err = b.svc.PatchAPIKey(b.ctx, sc, k.ID, keygate.APIKeyUpdate{}, &revoked)
	require.NoError(t, err, "the status the key has already is no change")

	bad := keygate.APIKeyStatus("expired")
	_, err = b.svc.PatchAPIKey(b.ctx, sc, k.ID, keygate.APIKeyUpdate{Name: ptr("not applied")}, &bad)
	require.Equal(t, keygate.CodeInvalidField, keygate.ErrorCode(err))
	got, err = b.svc.GetAPIKey(b.ctx, sc, k.ID)
	require.NoError(t, err)
	require.Equal(t, "renamed", got.Name, "a refused PATCH applies nothing")

	b.clock.Add(61 * time.Minute)
	_, err = b.svc.PatchAPIKey(b.ctx, sc, k.ID, keygate.APIKeyUpdate{Name: ptr("too late")}, &active)
	require.Equal(t, keygate.CodeCannotReactivate, keygate.ErrorCode(err))
	got, err = b.svc.GetAPIKey(b.ctx, sc, k.ID)
	require.NoError(t, err)
	require.Equal(t, "renamed", got.Name)

	var types []keygate.EventType
	for _, e := range b.events(t, a) {
		types = append(types, e.Type)
	}
	require.Equal(t, []keygate.EventType{keygate.EventAPIKeyCreated, keygate.EventAPIKeyUpdated, keygate.EventAPIKeyRevoked}, types)
}
