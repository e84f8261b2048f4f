package storetest

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/credential"
)

// mustRotatable creates a rotatable key in account a.
func (b *bundle) mustRotatable(t *testing.T, a *keygate.Account, name string, exp *time.Time) (*keygate.APIKey, string) {
	t.Helper()
	k, token, err := b.svc.CreateAPIKey(b.ctx, app.AccountScope(a.ID), a.ID, keygate.APIKeyCreate{
		Name: name, Permissions: []keygate.Permission{"customer.read"}, Rotatable: true, ExpiresAt: exp})
	require.NoError(t, err)
	return k, token
}

// mustRotate rotates key id with grace seconds of grace.
func (b *bundle) mustRotate(t *testing.T, a *keygate.Account, id string, grace int) (*keygate.APIKeyRotation, string) {
	t.Helper()
	r, token, err := b.svc.RotateAPIKey(b.ctx, app.AccountScope(a.ID), id, keygate.APIKeyRotationCreate{GracePeriodSeconds: &grace})
	require.NoError(t, err)
	return r, token
}

// rotation reads a rotation back.
func (b *bundle) rotation(t *testing.T, a *keygate.Account, r *keygate.APIKeyRotation) *keygate.APIKeyRotation {
	t.Helper()
	got, err := b.svc.GetAPIKeyRotation(b.ctx, app.AccountScope(a.ID), r.APIKeyID, r.ID)
	require.NoError(t, err)
	return got
}

// eventTypes returns the types of account a's events after the first skip.
func eventTypes(evs []*keygate.Event, skip int) []keygate.EventType {
	var out []keygate.EventType
	for _, e := range evs[skip:] {
		out = append(out, e.Type)
	}
	return out
}

// testRotationCreate checks a new rotation: pending, a new secret for the
// same ID, the old hash kept, and api_key_rotation.created without new_key.
func testRotationCreate(t *testing.T, h Harness) {
	b := setup(t, h)
	a := b.mustAccount(t, keygate.Sandbox)
	k, oldToken := b.mustRotatable(t, a, "aws", nil)
	b.clock.Add(time.Second)
	r, newToken := b.mustRotate(t, a, k.ID, 300)

	tok, err := credential.ParseIn(newToken, credential.EnvSandbox)
	require.NoError(t, err, "the new key has the standard format and a valid check")
	require.Equal(t, credential.IDBody(k.ID), tok.ID)
	require.NotEqual(t, oldToken, newToken)
	newHash := credential.HashSecret(tok.Secret)
	now := T0.Add(time.Second)
	require.Equal(t, &keygate.APIKeyRotation{
		ID: r.ID, APIKeyID: k.ID, AccountID: a.ID, Environment: keygate.Sandbox, NewHash: newHash[:], OldHash: k.SecretHash,
		GracePeriodSeconds: 300, Status: keygate.RotationPending, CreatedAt: now, UpdatedAt: now,
	}, b.rotation(t, a, r))
	require.True(t, credential.ValidID("apkrot", r.ID))

	key, err := b.svc.GetAPIKey(b.ctx, app.AccountScope(a.ID), k.ID)
	require.NoError(t, err)
	require.Equal(t, k.SecretHash, key.SecretHash, "the old secret stays the key's until the new one is used")

	evs := b.events(t, a)
	require.Equal(t, []keygate.EventType{keygate.EventRotationCreated}, eventTypes(evs, 1))
	var data map[string]any
	require.NoError(t, json.Unmarshal(evs[1].Data, &data))
	require.NotContains(t, data, "new_key")
	require.Equal(t, r.ID, data["id"])
	require.Equal(t, "pending", data["status"])
	require.Nil(t, data["expires_at"])
	require.NotContains(t, string(evs[1].Data), tok.Secret)

	dump := string(h.Dump(t, b.store))
	require.NotContains(t, dump, tok.Secret, "the new secret is not stored")
}

// testRotationComplete checks completion on first use: the new secret
// becomes the key's, the old one lives for the grace, and a second
// completion (another node) changes nothing.
func testRotationComplete(t *testing.T, h Harness) {
	b := setup(t, h)
	a := b.mustAccount(t, keygate.Live)
	k, _ := b.mustRotatable(t, a, "aws", nil)
	r, _ := b.mustRotate(t, a, k.ID, 120)
	b.clock.Add(time.Hour) // until used, a pending rotation waits without limit
	got, err := b.svc.CompleteRotation(b.ctx, k.ID, r.ID)
	require.NoError(t, err)
	now := T0.Add(time.Hour)
	require.Equal(t, keygate.RotationCompleted, got.Status)
	require.Equal(t, now.Add(2*time.Minute), *got.ExpiresAt)
	require.Equal(t, got, b.rotation(t, a, r))
	key, err := b.svc.GetAPIKey(b.ctx, app.AccountScope(a.ID), k.ID)
	require.NoError(t, err)
	require.Equal(t, r.NewHash, key.SecretHash)
	require.Equal(t, k.ExpiresAt, key.ExpiresAt, "no new expiry asked, none set")
	require.Equal(t, now, key.UpdatedAt)

	// The grace is decided from the stored rotation.
	live := b.live(t, k.ID, now.Add(2*time.Minute-time.Microsecond))
	require.Len(t, live, 1)
	require.True(t, live[0].OldSecretValidAt(now.Add(2*time.Minute-time.Microsecond)))
	require.False(t, live[0].OldSecretValidAt(now.Add(2*time.Minute)))
	require.Empty(t, b.live(t, k.ID, now.Add(2*time.Minute)))

	b.clock.Add(time.Second)
	again, err := b.svc.CompleteRotation(b.ctx, k.ID, r.ID)
	require.NoError(t, err)
	require.Equal(t, got, again, "a second completion changes nothing")
	require.Equal(t, []keygate.EventType{keygate.EventRotationCreated, keygate.EventRotationUpdated}, eventTypes(b.events(t, a), 1))

	// Concurrent completions of a fresh rotation (which ended the running
	// grace): one writes.
	r2, _ := b.mustRotate(t, a, k.ID, 0)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := b.svc.CompleteRotation(b.ctx, k.ID, r2.ID)
			require.NoError(t, err)
		}()
	}
	wg.Wait()
	require.Equal(t, []keygate.EventType{keygate.EventRotationUpdated, keygate.EventRotationCreated, keygate.EventRotationUpdated}, eventTypes(b.events(t, a), 3))
}

// live returns the live rotations of key id at now.
func (b *bundle) live(t *testing.T, id string, now time.Time) []*keygate.APIKeyRotation {
	t.Helper()
	var list []*keygate.APIKeyRotation
	require.NoError(t, b.store.View(b.ctx, func(tx keygate.Tx) (err error) {
		list, err = tx.FindLiveAPIKeyRotations(b.ctx, id, now)
		return err
	}))
	return list
}

// testRotationSupersede checks that a second rotation cancels a pending one
// (whose secret then never completes) and ends a running grace at once, and
// that a grace of 0 swaps atomically.
func testRotationSupersede(t *testing.T, h Harness) {
	b := setup(t, h)
	a := b.mustAccount(t, keygate.Live)
	k, _ := b.mustRotatable(t, a, "aws", nil)
	r1, _ := b.mustRotate(t, a, k.ID, 60)
	b.clock.Add(time.Second)
	r2, _ := b.mustRotate(t, a, k.ID, 3600)
	require.Equal(t, keygate.RotationCanceled, b.rotation(t, a, r1).Status)
	_, err := b.svc.CompleteRotation(b.ctx, k.ID, r1.ID)
	require.Equal(t, keygate.CodeInvalidToken, keygate.ErrorCode(err), "a canceled rotation's secret never works")
	require.Equal(t, k.SecretHash, r2.OldHash)

	_, err = b.svc.CompleteRotation(b.ctx, k.ID, r2.ID)
	require.NoError(t, err)
	b.clock.Add(time.Minute)
	r3, _ := b.mustRotate(t, a, k.ID, 0)
	ended := b.rotation(t, a, r2)
	require.Equal(t, keygate.RotationCompleted, ended.Status)
	require.Equal(t, T0.Add(61*time.Second), *ended.ExpiresAt, "the running grace ended at the new rotation")
	require.Equal(t, r2.NewHash, r3.OldHash)
	require.Equal(t, []string{r3.ID}, ids(b.live(t, k.ID, T0.Add(61*time.Second))))

	require.Equal(t, []keygate.EventType{
		keygate.EventRotationCreated, keygate.EventRotationUpdated, keygate.EventRotationCreated, // r1, r1 canceled, r2
		keygate.EventRotationUpdated, keygate.EventRotationUpdated, keygate.EventRotationCreated, // r2 completed, r2 grace ended, r3
	}, eventTypes(b.events(t, a), 1))

	// Grace 0: the old secret stops at the moment of completion.
	done, err := b.svc.CompleteRotation(b.ctx, k.ID, r3.ID)
	require.NoError(t, err)
	require.Equal(t, T0.Add(61*time.Second), *done.ExpiresAt)
	require.False(t, done.OldSecretValidAt(T0.Add(61*time.Second)))
	require.Empty(t, b.live(t, k.ID, T0.Add(61*time.Second)))
}

func ids(list []*keygate.APIKeyRotation) []string {
	var out []string
	for _, r := range list {
		out = append(out, r.ID)
	}
	return out
}

// testRotationRefused checks the keys that can't rotate and the bad
// requests, each of which changes nothing.
func testRotationRefused(t *testing.T, h Harness) {
	b := setup(t, h)
	a := b.mustAccount(t, keygate.Live)
	sc := app.AccountScope(a.ID)
	plain, _ := b.mustKey(t, a, "plain")
	rot, _ := b.mustRotatable(t, a, "rot", ptr(T0.Add(24*time.Hour)))
	revoked, _ := b.mustRotatable(t, a, "revoked", nil)
	_, err := b.svc.RevokeAPIKey(b.ctx, sc, revoked.ID)
	require.NoError(t, err)
	legacy, err := b.svc.ImportLegacyKey(b.ctx, sc, a.ID, "legacy", credential.NewLegacyKey())
	require.NoError(t, err)
	other := b.mustAccount(t, keygate.Live)
	before := len(b.events(t, a))

	grace := func(n int) *int { return &n }
	cases := []struct {
		name, id, code string
		in             keygate.APIKeyRotationCreate
	}{
		{"NotRotatable", plain.ID, keygate.CodeCannotBeRotated, keygate.APIKeyRotationCreate{GracePeriodSeconds: grace(0)}},
		{"Legacy", legacy.ID, keygate.CodeCannotBeRotated, keygate.APIKeyRotationCreate{GracePeriodSeconds: grace(0)}},
		{"Revoked", revoked.ID, keygate.CodeConflict, keygate.APIKeyRotationCreate{GracePeriodSeconds: grace(0)}},
		{"GraceMissing", rot.ID, keygate.CodeInvalidField, keygate.APIKeyRotationCreate{}},
		{"GraceNegative", rot.ID, keygate.CodeInvalidField, keygate.APIKeyRotationCreate{GracePeriodSeconds: grace(-1)}},
		{"GraceTooLong", rot.ID, keygate.CodeInvalidField, keygate.APIKeyRotationCreate{GracePeriodSeconds: grace(86401)}},
		{"ExpiryPast", rot.ID, keygate.CodeInvalidField, keygate.APIKeyRotationCreate{GracePeriodSeconds: grace(0), NewKeyExpiresAt: ptr(T0)}},
		{"ExpiryPastAYear", rot.ID, keygate.CodeInvalidField, keygate.APIKeyRotationCreate{GracePeriodSeconds: grace(0), NewKeyExpiresAt: ptr(T0.AddDate(1, 0, 0).Add(time.Microsecond))}},
		{"Unknown", "apikey_01jkdpbhazdpn3wpcya45as9tg", keygate.CodeNotFound, keygate.APIKeyRotationCreate{GracePeriodSeconds: grace(0)}},
	}
	for _, c := range cases {
		_, _, err := b.svc.RotateAPIKey(b.ctx, sc, c.id, c.in)
		require.Equal(t, c.code, keygate.ErrorCode(err), c.name)
	}
	_, _, err = b.svc.RotateAPIKey(b.ctx, app.AccountScope(other.ID), rot.ID, keygate.APIKeyRotationCreate{GracePeriodSeconds: grace(0)})
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err), "another account's key is not found")

	b.clock.Add(24 * time.Hour)
	_, _, err = b.svc.RotateAPIKey(b.ctx, sc, rot.ID, keygate.APIKeyRotationCreate{GracePeriodSeconds: grace(0)})
	require.Equal(t, keygate.CodeConflict, keygate.ErrorCode(err), "an expired key can't rotate")
	require.Len(t, b.events(t, a), before, "no refusal wrote anything")
	list, _, err := b.svc.ListAPIKeyRotations(b.ctx, sc, keygate.APIKeyRotationFilter{APIKeyID: rot.ID})
	require.NoError(t, err)
	require.Empty(t, list)
}

// testRotationExpiry checks new_key_expires_at: the key's expiry changes on
// completion (not before), with api_key.updated, and api_key.expiring
// follows the new expiry; a key revoked while its rotation is pending does
// not complete.
func testRotationExpiry(t *testing.T, h Harness) {
	b := setup(t, h)
	a := b.mustAccount(t, keygate.Live)
	b.mustDestination(t, a, keygate.EventAPIKeyExpiring)
	k, _ := b.mustRotatable(t, a, "aws", ptr(T0.Add(8*24*time.Hour)))
	b.clock.Add(2 * 24 * time.Hour) // 6 days left: the notice is due
	n, err := b.svc.NotifyExpiries(b.ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)

	newExp := T0.Add(200 * 24 * time.Hour)
	grace := 0
	r, _, err := b.svc.RotateAPIKey(b.ctx, app.AccountScope(a.ID), k.ID, keygate.APIKeyRotationCreate{GracePeriodSeconds: &grace, NewKeyExpiresAt: &newExp})
	require.NoError(t, err)
	key, err := b.svc.GetAPIKey(b.ctx, app.AccountScope(a.ID), k.ID)
	require.NoError(t, err)
	require.Equal(t, T0.Add(8*24*time.Hour), *key.ExpiresAt, "the expiry changes on completion only")

	before := len(b.events(t, a))
	_, err = b.svc.CompleteRotation(b.ctx, k.ID, r.ID)
	require.NoError(t, err)
	key, err = b.svc.GetAPIKey(b.ctx, app.AccountScope(a.ID), k.ID)
	require.NoError(t, err)
	require.Equal(t, newExp, *key.ExpiresAt)
	require.Nil(t, key.ExpiringNoticeAt, "the notice is due anew for the new expiry")
	evs := b.events(t, a)
	require.Equal(t, []keygate.EventType{keygate.EventRotationUpdated, keygate.EventAPIKeyUpdated}, eventTypes(evs, before))
	var data map[string]any
	require.NoError(t, json.Unmarshal(evs[len(evs)-1].Data, &data))
	require.Equal(t, newExp.Format("2006-01-02T15:04:05.000000Z07:00"), data["expires_at"])

	n, err = b.svc.NotifyExpiries(b.ctx)
	require.NoError(t, err)
	require.Zero(t, n, "the new expiry is months away")
	b.clock.Add(195 * 24 * time.Hour)
	n, err = b.svc.NotifyExpiries(b.ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n, "api_key.expiring follows the new expiry")

	// Revoked while pending: the new secret can't complete the rotation.
	k2, _ := b.mustRotatable(t, a, "revoked later", nil)
	r2, _ := b.mustRotate(t, a, k2.ID, 60)
	_, err = b.svc.RevokeAPIKey(b.ctx, app.AccountScope(a.ID), k2.ID)
	require.NoError(t, err)
	_, err = b.svc.CompleteRotation(b.ctx, k2.ID, r2.ID)
	require.Equal(t, keygate.CodeInvalidToken, keygate.ErrorCode(err))
	require.Equal(t, keygate.RotationPending, b.rotation(t, a, r2).Status)
}

// testRotationList checks listing: newest first, the id filter, cursor
// pages, totals, and that rotations are only found through their own key.
func testRotationList(t *testing.T, h Harness) {
	b := setup(t, h)
	a := b.mustAccount(t, keygate.Live)
	sc := app.AccountScope(a.ID)
	k, _ := b.mustRotatable(t, a, "aws", nil)
	k2, _ := b.mustRotatable(t, a, "other", nil)
	var made []*keygate.APIKeyRotation
	for range 3 {
		b.clock.Add(time.Millisecond)
		r, _ := b.mustRotate(t, a, k.ID, 0)
		made = append(made, r)
	}
	list, total, err := b.svc.ListAPIKeyRotations(b.ctx, sc, keygate.APIKeyRotationFilter{APIKeyID: k.ID, Page: keygate.Page{Desc: true}})
	require.NoError(t, err)
	require.Equal(t, 3, total)
	require.Equal(t, []string{made[2].ID, made[1].ID, made[0].ID}, ids(list))
	require.Equal(t, []keygate.RotationStatus{keygate.RotationPending, keygate.RotationCanceled, keygate.RotationCanceled},
		[]keygate.RotationStatus{list[0].Status, list[1].Status, list[2].Status})

	page, total, err := b.svc.ListAPIKeyRotations(b.ctx, sc, keygate.APIKeyRotationFilter{APIKeyID: k.ID, Page: keygate.Page{Desc: true, After: made[2].ID, Limit: 1, SkipCount: true}})
	require.NoError(t, err)
	require.Equal(t, -1, total)
	require.Equal(t, []string{made[1].ID}, ids(page))

	only, total, err := b.svc.ListAPIKeyRotations(b.ctx, sc, keygate.APIKeyRotationFilter{APIKeyID: k.ID, IDs: []string{made[0].ID, "apkrot_01jkdpbhazdpn3wpcya45as9tg"}})
	require.NoError(t, err)
	require.Equal(t, 1, total)
	require.Equal(t, []string{made[0].ID}, ids(only))

	none, _, err := b.svc.ListAPIKeyRotations(b.ctx, sc, keygate.APIKeyRotationFilter{APIKeyID: k2.ID})
	require.NoError(t, err)
	require.Empty(t, none)
	_, err = b.svc.GetAPIKeyRotation(b.ctx, sc, k2.ID, made[0].ID)
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err), "a rotation of another key is not found")
	other := b.mustAccount(t, keygate.Live)
	_, err = b.svc.GetAPIKeyRotation(b.ctx, app.AccountScope(other.ID), k.ID, made[0].ID)
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err))
	_, _, err = b.svc.ListAPIKeyRotations(b.ctx, app.AccountScope(other.ID), keygate.APIKeyRotationFilter{APIKeyID: k.ID})
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err))

	// Every rotation write is in the change feed, for the key.
	var changes []keygate.Change
	b.settle(t)
	require.NoError(t, b.store.View(b.ctx, func(tx keygate.Tx) (err error) {
		changes, err = tx.FindChanges(b.ctx, 0, 1000)
		return err
	}))
	n := 0
	for _, c := range changes {
		if c.CredentialID == k.ID {
			n++
		}
	}
	require.Equal(t, 1+3+2, n, "created, three rotations, two cancellations")
}
