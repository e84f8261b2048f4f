package storetest

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/credential"
)

// mustUser adds a user to account a, directly in the store (no password).
func (b *bundle) mustUser(t *testing.T, a *keygate.Account, email string) {
	t.Helper()
	require.NoError(t, b.store.Update(b.ctx, func(tx keygate.Tx) error {
		return tx.CreateUser(b.ctx, &keygate.User{ID: credential.NewID("usr", T0), AccountID: a.ID, Environment: a.Environment,
			Email: email, CreatedAt: T0, UpdatedAt: T0})
	}))
}

// report reports one leaked token from GitHub at reference.
func (b *bundle) report(t *testing.T, token, reference string) keygate.ExposureOutcome {
	t.Helper()
	out, err := b.svc.ReportExposures(b.ctx, []keygate.ExposureReport{{Token: token, Source: keygate.SourceGitHub, Reference: reference}})
	require.NoError(t, err)
	require.Len(t, out, 1)
	return out[0]
}

// claimMails claims every user e-mail due at now.
func (b *bundle) claimMails(t *testing.T, now time.Time) []*keygate.UserMail {
	t.Helper()
	var mails []*keygate.UserMail
	require.NoError(t, b.store.Update(b.ctx, func(tx keygate.Tx) (err error) {
		mails, err = tx.ClaimUserMails(b.ctx, now, now.Add(time.Minute), 100)
		return err
	}))
	return mails
}

// testExposureHighRisk reports an active key: it is revoked by the system
// in the same transaction as the exposure, with api_key_exposure.created
// then api_key.revoked, can't be reactivated, and every user of its account
// (of no other) gets an e-mail, as does a subscribed destination.
func testExposureHighRisk(t *testing.T, h Harness) {
	b := setup(t, h)
	a := b.mustAccount(t, keygate.Live)
	other := b.mustAccount(t, keygate.Live)
	b.mustUser(t, a, "owner@example.com")
	b.mustUser(t, a, "dev@example.com")
	b.mustUser(t, other, "someone@example.com")
	dest := b.mustDestination(t, a, keygate.EventExposureCreated)
	k, token := b.mustKey(t, a, "leaked")
	var seq int64
	b.settle(t)
	require.NoError(t, b.store.View(b.ctx, func(tx keygate.Tx) (err error) { seq, err = tx.LastChangeSeq(b.ctx); return err }))

	b.clock.Add(time.Minute)
	now := T0.Add(time.Minute)
	out := b.report(t, token, "https://github.com/o/r/blob/abc/config.env")
	require.True(t, out.Known)
	require.True(t, out.Created)
	x := out.Exposure
	require.Equal(t, keygate.RiskHigh, x.Risk)
	require.Equal(t, keygate.ActionRevoked, x.Action)
	require.Equal(t, k.ID, x.APIKeyID)
	require.True(t, credential.ValidID("apkexp", x.ID))

	got, err := b.svc.GetAPIKey(b.ctx, app.AccountScope(a.ID), k.ID)
	require.NoError(t, err)
	require.Equal(t, keygate.APIKeyRevoked, got.Status)
	require.Equal(t, keygate.RevokedBySystem, got.RevokedBy)
	require.Equal(t, now, *got.ExposedAt)
	_, err = b.svc.ReactivateAPIKey(b.ctx, app.AccountScope(a.ID), k.ID)
	require.Equal(t, keygate.CodeCannotReactivate, keygate.ErrorCode(err))
	require.Contains(t, keygate.ErrorMessage(err), "revoked by keygate after an exposure")

	evs := b.events(t, a)
	require.GreaterOrEqual(t, len(evs), 3)
	last2 := evs[len(evs)-2:]
	require.Equal(t, keygate.EventExposureCreated, last2[0].Type)
	require.Equal(t, x.ID, last2[0].EntityID)
	require.Contains(t, string(last2[0].Data), `"risk_level":"high"`)
	require.Equal(t, keygate.EventAPIKeyRevoked, last2[1].Type)
	require.Contains(t, string(last2[1].Data), `"exposed_at":"`)

	var changes []keygate.Change
	b.settle(t)
	require.NoError(t, b.store.View(b.ctx, func(tx keygate.Tx) (err error) { changes, err = tx.FindChanges(b.ctx, seq, 10); return err }))
	require.Len(t, changes, 1, "the revocation is in the change feed, so every node drops the key")
	require.Equal(t, k.ID, changes[0].CredentialID)

	mails := b.claimMails(t, now)
	var to []string
	for _, m := range mails {
		to = append(to, m.To)
		require.Equal(t, last2[0].ID, m.EventID)
		require.Contains(t, string(m.Payload), x.ID)
	}
	require.ElementsMatch(t, []string{"owner@example.com", "dev@example.com"}, to)
	require.Empty(t, b.claimMails(t, now), "claimed mails are not claimed twice")
	sent := now
	mails[0].Attempts, mails[0].SentAt, mails[0].RetryAt = 1, &sent, nil
	require.NoError(t, b.store.Update(b.ctx, func(tx keygate.Tx) error { return tx.UpdateUserMail(b.ctx, mails[0]) }))
	retry := now.Add(time.Minute)
	mails[1].Attempts, mails[1].RetryAt, mails[1].LastError = 1, &retry, "451"
	require.NoError(t, b.store.Update(b.ctx, func(tx keygate.Tx) error { return tx.UpdateUserMail(b.ctx, mails[1]) }))
	again := b.claimMails(t, now.Add(2*time.Minute))
	require.Len(t, again, 1, "only the failed one is due again")
	require.Equal(t, mails[1].ID, again[0].ID)
	require.Equal(t, 1, again[0].Attempts)

	var destTypes []keygate.EventType
	for _, n := range b.notifications(t, a) {
		if n.SettingID == dest.ID {
			destTypes = append(destTypes, n.Type)
		}
	}
	require.Equal(t, []keygate.EventType{keygate.EventExposureCreated}, destTypes)

	n, err := b.svc.UnseenHighRiskExposures(b.ctx, app.AccountScope(a.ID))
	require.NoError(t, err)
	require.Equal(t, 1, n)
	n, err = b.svc.UnseenHighRiskExposures(b.ctx, app.AccountScope(other.ID))
	require.NoError(t, err)
	require.Zero(t, n)
	seen, err := b.svc.SeeAPIKeyExposures(b.ctx, app.AccountScope(a.ID), k.ID)
	require.NoError(t, err)
	require.Len(t, seen, 1)
	n, err = b.svc.UnseenHighRiskExposures(b.ctx, app.AccountScope(a.ID))
	require.NoError(t, err)
	require.Zero(t, n, "viewed")
	_, err = b.svc.SeeAPIKeyExposures(b.ctx, app.AccountScope(other.ID), k.ID)
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err), "another account's key is not found")
}

// testExposureLowRiskAndDuplicates reports the same leak twice (one
// exposure), a second leak of the now revoked key (low risk, exposed_at
// kept), an expired key (low), and tokens that must never be recorded.
func testExposureLowRiskAndDuplicates(t *testing.T, h Harness) {
	b := setup(t, h)
	a := b.mustAccount(t, keygate.Sandbox)
	b.mustUser(t, a, "owner@example.com")
	k, token := b.mustKey(t, a, "leaked")
	first := b.report(t, token, "https://github.com/o/r/blob/abc/a.env")
	eventsAfterFirst := len(b.events(t, a))

	b.clock.Add(time.Hour)
	dup := b.report(t, token, "https://github.com/o/r/blob/abc/a.env")
	require.True(t, dup.Known)
	require.False(t, dup.Created)
	require.Equal(t, first.Exposure.ID, dup.Exposure.ID)
	require.Len(t, b.events(t, a), eventsAfterFirst, "a repeated report writes no event")

	second := b.report(t, token, "https://gist.github.com/o/123")
	require.True(t, second.Created)
	require.Equal(t, keygate.RiskLow, second.Exposure.Risk)
	require.Equal(t, keygate.ActionNone, second.Exposure.Action)
	evs := b.events(t, a)
	require.Len(t, evs, eventsAfterFirst+1, "low risk: only api_key_exposure.created")
	require.Equal(t, keygate.EventExposureCreated, evs[len(evs)-1].Type)
	got, err := b.svc.GetAPIKey(b.ctx, app.OperatorScope(), k.ID)
	require.NoError(t, err)
	require.Equal(t, T0, *got.ExposedAt, "exposed_at is the first exposure")
	require.Len(t, b.claimMails(t, T0.Add(time.Hour)), 2, "an e-mail for every exposure, whatever the risk")
	b.clock.Add(time.Second)

	// A reference beyond Paddle's 250 characters is cut, on a character
	// boundary; NUL and invalid UTF-8 are dropped (PostgreSQL refuses NUL).
	long := b.report(t, token, "https://example.com/\x00"+strings.Repeat("é", 300)+"\xff")
	require.True(t, long.Created)
	require.Equal(t, "https://example.com/"+strings.Repeat("é", 230), long.Exposure.Reference)
	list, total, err := b.svc.ListAPIKeyExposures(b.ctx, app.AccountScope(a.ID), keygate.APIKeyExposureFilter{APIKeyID: k.ID})
	require.NoError(t, err)
	require.Equal(t, 3, total)
	require.Equal(t, long.Exposure.Reference, list[2].Reference)
	require.Equal(t, []string{first.Exposure.ID, second.Exposure.ID}, []string{list[0].ID, list[1].ID})

	// An expired key is low risk and stays expired.
	exp := T0.Add(2 * time.Hour)
	ek, etoken, err := b.svc.CreateAPIKey(b.ctx, app.AccountScope(a.ID), a.ID, keygate.APIKeyCreate{Name: "old", Permissions: []keygate.Permission{"customer.read"}, ExpiresAt: &exp})
	require.NoError(t, err)
	b.clock.Add(2 * time.Hour)
	out := b.report(t, etoken, "https://github.com/o/r/blob/def/b.env")
	require.Equal(t, keygate.RiskLow, out.Exposure.Risk)
	got, err = b.svc.GetAPIKey(b.ctx, app.OperatorScope(), ek.ID)
	require.NoError(t, err)
	require.Equal(t, keygate.APIKeyExpired, got.StatusAt(T0.Add(3*time.Hour)))
	require.Empty(t, got.RevokedBy)

	// Tokens that are not this deployment's keys change nothing.
	live, ltoken := b.mustKey(t, b.mustAccount(t, keygate.Live), "victim")
	// Keep prefix, environment and ID; forge the secret and its check.
	forged := ltoken[:strings.LastIndexByte(ltoken[:len(ltoken)-4], '_')+1] + strings.Repeat("A", credential.SecretLen)
	forged += "_" + credential.Check(forged)
	flipped := ltoken[:len(ltoken)-1] + map[bool]string{true: "B", false: "A"}[ltoken[len(ltoken)-1] == 'A']
	acme := credential.NewAPIKey("acme", credential.EnvLive, T0).Token
	before := len(b.events(t, a))
	// Tokens without this deployment's shape, prefix and check never reach
	// the store.
	counting := &countingStore{Store: b.store}
	svc := *b.svc
	svc.Store = counting
	_, err = svc.ReportExposures(b.ctx, []keygate.ExposureReport{
		{Token: flipped, Source: keygate.SourceGitHub, Reference: "x"},
		{Token: acme, Source: keygate.SourceGitHub, Reference: "x"},
		{Token: "not a key", Source: keygate.SourceGitHub, Reference: "x"},
		{Token: credential.NewLegacyKey(), Source: keygate.SourceGitHub, Reference: "x"},
	})
	require.NoError(t, err)
	require.Zero(t, counting.n.Load(), "no transaction for tokens that fail the format or check")
	res, err := b.svc.ReportExposures(b.ctx, []keygate.ExposureReport{
		{Token: forged, Source: keygate.SourceGitHub, Reference: "x"},
		{Token: flipped, Source: keygate.SourceGitHub, Reference: "x"},
		{Token: acme, Source: keygate.SourceGitHub, Reference: "x"},
		{Token: "not a key", Source: keygate.SourceGitHub, Reference: "x"},
		{Token: credential.NewAPIKey("", credential.EnvLive, T0).Token, Source: keygate.SourceGitHub, Reference: "x"},
	})
	require.NoError(t, err)
	for i, o := range res {
		require.False(t, o.Known, "report %d", i)
		require.Nil(t, o.Exposure)
	}
	got, err = b.svc.GetAPIKey(b.ctx, app.OperatorScope(), live.ID)
	require.NoError(t, err)
	require.Equal(t, keygate.APIKeyActive, got.Status, "a forged secret with a valid check revokes nothing")
	require.Nil(t, got.ExposedAt)
	require.Len(t, b.events(t, a), before)
}

// testExposureConcurrent reports the same leak from many goroutines at
// once: one exposure, one revocation.
func testExposureConcurrent(t *testing.T, h Harness) {
	b := setup(t, h)
	a := b.mustAccount(t, keygate.Live)
	_, token := b.mustKey(t, a, "leaked")
	var wg sync.WaitGroup
	created := make(chan bool, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := b.svc.ReportExposures(b.ctx, []keygate.ExposureReport{{Token: token, Source: keygate.SourceGitHub, Reference: "https://github.com/o/r/blob/1/x"}})
			if err != nil {
				t.Error(err)
				return
			}
			created <- out[0].Created
		}()
	}
	wg.Wait()
	close(created)
	n := 0
	for c := range created {
		if c {
			n++
		}
	}
	require.Equal(t, 1, n)
	var types []keygate.EventType
	for _, e := range b.events(t, a) {
		types = append(types, e.Type)
	}
	require.Equal(t, []keygate.EventType{keygate.EventAPIKeyCreated, keygate.EventExposureCreated, keygate.EventAPIKeyRevoked}, types)
}

// countingStore counts the transactions begun on a store.
type countingStore struct {
	keygate.Store
	n atomic.Int64
}

func (c *countingStore) Update(ctx context.Context, fn func(keygate.Tx) error) error {
	c.n.Add(1)
	return c.Store.Update(ctx, fn)
}

func (c *countingStore) View(ctx context.Context, fn func(keygate.Tx) error) error {
	c.n.Add(1)
	return c.Store.View(ctx, fn)
}
