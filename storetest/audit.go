package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/credential"
)

// auditLog returns every audit entry of account, oldest first (seq order).
func (b *bundle) auditLog(t *testing.T, account string) []*keygate.AuditEntry {
	t.Helper()
	var out []*keygate.AuditEntry
	require.NoError(t, b.svc.ExportAuditLog(b.ctx, account, time.Time{}, func(e *keygate.AuditEntry) error {
		out = append(out, e)
		return nil
	}))
	return out
}

// verify returns the first broken link of account's chain, nil if whole.
func (b *bundle) verify(t *testing.T, account string) *keygate.AuditBreak {
	t.Helper()
	states, err := b.svc.VerifyAuditLog(b.ctx, &account)
	require.NoError(t, err)
	require.Len(t, states, 1)
	return states[0].Break
}

// requireEntry checks the entry at i: action, actor and target.
func requireEntry(t *testing.T, log []*keygate.AuditEntry, i int, action keygate.AuditAction, actor keygate.ActorType, actorID, target string) *keygate.AuditEntry {
	t.Helper()
	require.Greater(t, len(log), i, "entry %d (%s) is missing", i, action)
	e := log[i]
	require.Equal(t, action, e.Action, "entry %d", i)
	require.Equal(t, actor, e.Actor.Type, "entry %d (%s): actor", i, action)
	require.Equal(t, actorID, e.Actor.ID, "entry %d (%s): actor ID", i, action)
	require.Equal(t, target, e.TargetID, "entry %d (%s): target", i, action)
	require.Equal(t, int64(i+1), e.Seq)
	return e
}

// testAuditKeyActions checks that each change to a key is in its account's
// audit log with the actor that made it (a user, an API key, the operator,
// the system for expiry and exposures) and the client the surface passed,
// and that a change that fails records nothing.
func testAuditKeyActions(t *testing.T, h Harness) {
	b := setup(t, h)
	a := b.mustAccount(t, keygate.Live)
	other := b.mustAccount(t, keygate.Live)
	ctx := app.WithClient(b.ctx, app.Client{IP: "203.0.113.7", UserAgent: "Mozilla/5.0 test"})
	user := app.AccountScope(a.ID).As(keygate.Actor{Type: keygate.ActorUser, ID: "usr_01jkdpbhazdpn3wpcya45as9tg"})

	k, _, err := b.svc.CreateAPIKey(ctx, user, a.ID, keygate.APIKeyCreate{Name: "k", Permissions: []keygate.Permission{"customer.read"}, Rotatable: true})
	require.NoError(t, err)
	_, err = b.svc.UpdateAPIKey(ctx, user, k.ID, keygate.APIKeyUpdate{Name: ptr("renamed")})
	require.NoError(t, err)
	byKey := app.DelegatedScope(a.ID, k.ID, keygate.NewPermissionSet(keygate.Permissions), time.Time{})
	_, _, err = b.svc.RotateAPIKey(ctx, byKey, k.ID, keygate.APIKeyRotationCreate{GracePeriodSeconds: ptr(60)})
	require.NoError(t, err)
	_, err = b.svc.RevokeAPIKey(b.ctx, app.OperatorScope(), k.ID)
	require.NoError(t, err)
	_, err = b.svc.ReactivateAPIKey(ctx, user, k.ID)
	require.NoError(t, err)

	// Failures record nothing: another tenant's key, a key not revoked.
	_, err = b.svc.RevokeAPIKey(ctx, app.AccountScope(other.ID).As(keygate.Actor{Type: keygate.ActorUser, ID: "usr_x"}), k.ID)
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err))
	_, err = b.svc.ReactivateAPIKey(ctx, user, k.ID)
	require.Error(t, err)

	// The system: an exposure (which revokes) and an expiry.
	leaked, token := b.mustKey(t, a, "leaked")
	b.report(t, token, "https://github.com/o/r/blob/1/.env")
	soon, _, err := b.svc.CreateAPIKey(ctx, user, a.ID, keygate.APIKeyCreate{Name: "soon", Permissions: []keygate.Permission{"customer.read"}, ExpiresAt: ptr(T0.Add(time.Hour))})
	require.NoError(t, err)
	b.clock.Add(2 * time.Hour)
	_, err = b.svc.NotifyExpiries(b.ctx)
	require.NoError(t, err)

	log := b.auditLog(t, a.ID)
	e := requireEntry(t, log, 0, keygate.AuditKeyCreated, keygate.ActorUser, "usr_01jkdpbhazdpn3wpcya45as9tg", k.ID)
	require.Equal(t, "203.0.113.7", e.Actor.IP)
	require.Equal(t, "Mozilla/5.0 test", e.Actor.UserAgent)
	require.Equal(t, keygate.Live, e.Environment)
	require.True(t, e.OccurredAt.Equal(T0), "the change's time, to the microsecond: %s", e.OccurredAt)
	requireEntry(t, log, 1, keygate.AuditKeyUpdated, keygate.ActorUser, "usr_01jkdpbhazdpn3wpcya45as9tg", k.ID)
	requireEntry(t, log, 2, keygate.AuditKeyRotated, keygate.ActorAPIKey, k.ID, k.ID)
	e = requireEntry(t, log, 3, keygate.AuditKeyRevoked, keygate.ActorOperator, "", k.ID)
	require.Empty(t, e.Actor.IP, "the CLI has no client IP")
	requireEntry(t, log, 4, keygate.AuditKeyReactivated, keygate.ActorUser, "usr_01jkdpbhazdpn3wpcya45as9tg", k.ID)
	requireEntry(t, log, 5, keygate.AuditKeyCreated, "", "", leaked.ID) // a bare AccountScope names no actor (tests only)
	e = requireEntry(t, log, 6, keygate.AuditExposureFound, keygate.ActorSystem, "github", leaked.ID)
	require.Contains(t, e.Detail, "https://github.com/o/r/blob/1/.env")
	requireEntry(t, log, 7, keygate.AuditKeyRevoked, keygate.ActorSystem, "github", leaked.ID)
	requireEntry(t, log, 8, keygate.AuditKeyCreated, keygate.ActorUser, "usr_01jkdpbhazdpn3wpcya45as9tg", soon.ID)
	e = requireEntry(t, log, 9, keygate.AuditKeyExpired, keygate.ActorSystem, "expiry", soon.ID)
	require.Empty(t, e.Actor.UserAgent, "the system has no client")
	require.Len(t, log, 10)
	require.Nil(t, b.verify(t, a.ID))
	require.Empty(t, b.auditLog(t, other.ID), "nothing in the other tenant's log")

	// PATCH with a status: updated and revoked in one transaction.
	st := keygate.APIKeyRevoked
	_, err = b.svc.PatchAPIKey(ctx, user, k.ID, keygate.APIKeyUpdate{Name: ptr("again")}, &st)
	require.NoError(t, err)
	log = b.auditLog(t, a.ID)
	requireEntry(t, log, 10, keygate.AuditKeyUpdated, keygate.ActorUser, "usr_01jkdpbhazdpn3wpcya45as9tg", k.ID)
	requireEntry(t, log, 11, keygate.AuditKeyRevoked, keygate.ActorUser, "usr_01jkdpbhazdpn3wpcya45as9tg", k.ID)
}

// testAuditSessions checks the dashboard's actions: set-up, sign-in,
// failed sign-in (of a known address in its account's log, of an unknown
// one in the log of no account), lockout, magic-session login, and the
// secret of a destination viewed.
func testAuditSessions(t *testing.T, h Harness) {
	b := setup(t, h)
	ctx := app.WithClient(b.ctx, app.Client{IP: "198.51.100.9", UserAgent: "Browser/1"})
	link, err := b.svc.NewSetupLink(b.ctx, keygate.Live)
	require.NoError(t, err)
	sess, _, err := b.svc.SetUp(ctx, link, keygate.AccountCreate{Environment: keygate.Live, Name: "Acme"}, keygate.UserCreate{Email: "ada@example.com", Password: "a long password"})
	require.NoError(t, err)
	acc, usr := sess.AccountID, sess.UserID

	_, _, err = b.svc.SignIn(ctx, keygate.Live, "ada@example.com", "a long password", "198.51.100.9")
	require.NoError(t, err)
	_, _, err = b.svc.SignIn(ctx, keygate.Live, "ada@example.com", "wrong password", "198.51.100.9")
	require.Equal(t, keygate.CodeForbidden, keygate.ErrorCode(err))
	_, _, err = b.svc.SignIn(ctx, keygate.Live, "nobody@example.com", "wrong password", "198.51.100.9")
	require.Equal(t, keygate.CodeForbidden, keygate.ErrorCode(err))

	// The lockout: the address has used up its attempts; the next one locks.
	require.NoError(t, b.store.Update(b.ctx, func(tx keygate.Tx) error {
		for range app.SignInLockAfter - 1 {
			if _, _, err := tx.CountSignInAttempt(b.ctx, "live|email|ada@example.com", b.clock.Now(), app.SignInWindow); err != nil {
				return err
			}
		}
		return nil
	}))
	_, _, err = b.svc.SignIn(ctx, keygate.Live, "ada@example.com", "a long password", "198.51.100.9")
	require.Equal(t, keygate.CodeTooManyRequests, keygate.ErrorCode(err))
	_, _, err = b.svc.SignIn(ctx, keygate.Live, "ada@example.com", "a long password", "198.51.100.9")
	require.Equal(t, keygate.CodeTooManyRequests, keygate.ErrorCode(err), "still locked, recorded once")

	dashboard := app.AccountScope(acc).As(keygate.Actor{Type: keygate.ActorUser, ID: usr})
	dest, err := b.svc.CreateNotificationSetting(ctx, dashboard, acc, keygate.NotificationSettingCreate{
		Description: "hook", Type: keygate.DestinationEmail, Destination: "ops@example.com", SubscribedEvents: []keygate.EventType{keygate.EventAPIKeyCreated}})
	require.NoError(t, err)
	_, err = b.svc.GetNotificationSetting(ctx, dashboard, dest.ID)
	require.NoError(t, err)
	_, err = b.svc.GetNotificationSetting(ctx, app.AccountScope(b.mustAccount(t, keygate.Live).ID), dest.ID)
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err), "another tenant's destination: not found, nothing recorded")
	_, _, err = b.svc.ListNotificationSettings(ctx, dashboard, keygate.NotificationSettingFilter{})
	require.NoError(t, err)
	_, _, err = b.svc.ListNotificationSettings(ctx, dashboard, keygate.NotificationSettingFilter{ShowsSecrets: true})
	require.NoError(t, err)

	log := b.auditLog(t, acc)
	e := requireEntry(t, log, 0, keygate.AuditSetUp, keygate.ActorUser, usr, acc)
	require.Equal(t, "198.51.100.9", e.Actor.IP)
	requireEntry(t, log, 1, keygate.AuditSignIn, keygate.ActorUser, usr, usr) // the set-up's own session
	requireEntry(t, log, 2, keygate.AuditSignIn, keygate.ActorUser, usr, usr)
	e = requireEntry(t, log, 3, keygate.AuditSignInFailed, keygate.ActorAnonymous, "", usr)
	require.Equal(t, "ada@example.com", e.Detail)
	require.Equal(t, "Browser/1", e.Actor.UserAgent)
	requireEntry(t, log, 4, keygate.AuditLockout, keygate.ActorAnonymous, "", usr)
	requireEntry(t, log, 5, keygate.AuditDestinationNew, keygate.ActorUser, usr, dest.ID)
	requireEntry(t, log, 6, keygate.AuditSecretViewed, keygate.ActorUser, usr, dest.ID)
	requireEntry(t, log, 7, keygate.AuditSecretViewed, keygate.ActorUser, usr, dest.ID) // the list that shows secrets
	require.Len(t, log, 8, "a list that shows no secrets records nothing")
	require.Nil(t, b.verify(t, acc))

	none := b.auditLog(t, "")
	require.Len(t, none, 1, "the unknown address's failure, in the log of no account")
	require.Equal(t, keygate.AuditSignInFailed, none[0].Action)
	require.Equal(t, "nobody@example.com", none[0].Detail)
	require.Empty(t, none[0].TargetID)

	// A partner's seller, and its user's magic-session login.
	p, _, err := b.svc.CreatePartner(b.ctx, keygate.PartnerCreate{Environment: keygate.Live, Name: "P", AllowedDomains: []string{"partner.example"}})
	require.NoError(t, err)
	seller, err := b.svc.CreateSeller(ctx, p, keygate.SellerCreate{FirstName: "Bo", LastName: "B", Email: "bo@seller.example", BusinessName: "Bo Ltd"})
	require.NoError(t, err)
	tok, err := credential.Parse(seller.UserAPIKey)
	require.NoError(t, err)
	code, _, err := b.svc.AuthorizeMagicSession(b.ctx, "apikey_"+tok.ID)
	require.NoError(t, err)
	_, _, err = b.svc.RedeemMagicCode(ctx, keygate.Live, code, "", false)
	require.NoError(t, err)
	log = b.auditLog(t, seller.Account.ID)
	requireEntry(t, log, 0, keygate.AuditSellerCreated, keygate.ActorPartner, p.ID, seller.Account.ID)
	require.Equal(t, keygate.AuditKeyCreated, log[1].Action)
	require.Equal(t, keygate.AuditKeyCreated, log[2].Action)
	requireEntry(t, log, 3, keygate.AuditMagicLogin, keygate.ActorUser, seller.User.ID, seller.User.ID)
}

// testAuditList checks the filters of the account's list, its pagination,
// and that another tenant sees nothing of it.
func testAuditList(t *testing.T, h Harness) {
	b := setup(t, h)
	a := b.mustAccount(t, keygate.Sandbox)
	other := b.mustAccount(t, keygate.Sandbox)
	user := app.AccountScope(a.ID).As(keygate.Actor{Type: keygate.ActorUser, ID: "usr_a"})
	k1, _, err := b.svc.CreateAPIKey(b.ctx, user, a.ID, keygate.APIKeyCreate{Name: "one", Permissions: []keygate.Permission{"customer.read"}})
	require.NoError(t, err)
	b.clock.Add(time.Hour)
	k2, _ := b.mustKey(t, a, "two")
	_, err = b.svc.RevokeAPIKey(b.ctx, app.OperatorScope(), k1.ID)
	require.NoError(t, err)

	list := func(sc app.Scope, f keygate.AuditFilter) []*keygate.AuditEntry {
		t.Helper()
		out, _, err := b.svc.ListAuditLog(b.ctx, sc, f)
		require.NoError(t, err)
		return out
	}
	sc := app.AccountScope(a.ID)
	all := list(sc, keygate.AuditFilter{Page: keygate.Page{Desc: true}})
	require.Len(t, all, 3)
	require.Equal(t, keygate.AuditKeyRevoked, all[0].Action, "newest first")
	require.Len(t, list(sc, keygate.AuditFilter{ActorType: keygate.ActorOperator}), 1)
	require.Len(t, list(sc, keygate.AuditFilter{ActorType: keygate.ActorUser, ActorID: "usr_a"}), 1)
	require.Len(t, list(sc, keygate.AuditFilter{Actions: []keygate.AuditAction{keygate.AuditKeyCreated}}), 2)
	require.Len(t, list(sc, keygate.AuditFilter{TargetID: k1.ID}), 2)
	require.Len(t, list(sc, keygate.AuditFilter{TargetID: k2.ID}), 1)
	from := T0.Add(time.Hour)
	require.Len(t, list(sc, keygate.AuditFilter{From: &from}), 2)
	require.Len(t, list(sc, keygate.AuditFilter{Till: &from}), 1)
	page := list(sc, keygate.AuditFilter{Page: keygate.Page{Limit: 2}})
	require.Len(t, page, 2)
	rest := list(sc, keygate.AuditFilter{Page: keygate.Page{Limit: 2, After: page[1].ID}})
	require.Len(t, rest, 1)
	require.Equal(t, all[0].ID, rest[0].ID)
	_, total, err := b.svc.ListAuditLog(b.ctx, sc, keygate.AuditFilter{})
	require.NoError(t, err)
	require.Equal(t, 3, total)

	require.Empty(t, list(app.AccountScope(other.ID), keygate.AuditFilter{AccountID: a.ID}), "another tenant's scope ignores the account asked for")
	require.Len(t, list(app.OperatorScope(), keygate.AuditFilter{AccountID: a.ID}), 3)
	_, _, err = b.svc.ListAuditLog(b.ctx, app.Scope{}, keygate.AuditFilter{})
	require.Equal(t, keygate.CodeForbidden, keygate.ErrorCode(err))

	// Only an Update transaction records.
	err = b.store.View(b.ctx, func(tx keygate.Tx) error {
		return tx.RecordAudit(b.ctx, &keygate.AuditEntry{ID: "audit_x", AccountID: a.ID, Environment: keygate.Sandbox, OccurredAt: T0})
	})
	require.Equal(t, keygate.CodeInternal, keygate.ErrorCode(err))
}

// testAuditConcurrent writes to one account's log from many transactions
// at once: the chain does not fork (seq 1..n, each entry after the one
// before) and verifies.
func testAuditConcurrent(t *testing.T, h Harness) {
	b := setup(t, h)
	a := b.mustAccount(t, keygate.Live)
	o := b.mustAccount(t, keygate.Live)
	const n = 24
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			acc := a
			if i%3 == 0 {
				acc = o // transactions of two accounts interleave
			}
			_, _, errs[i] = b.svc.CreateAPIKey(b.ctx, app.AccountScope(acc.ID), acc.ID, keygate.APIKeyCreate{Name: fmt.Sprint(i), Permissions: []keygate.Permission{"customer.read"}})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	for acc, want := range map[string]int{a.ID: n - n/3, o.ID: n / 3} {
		log := b.auditLog(t, acc)
		require.Len(t, log, want)
		for i, e := range log {
			require.Equal(t, int64(i+1), e.Seq)
			if i > 0 {
				require.Equal(t, log[i-1].Hash, e.PrevHash, "entry %d follows entry %d", i+1, i)
			}
		}
		require.Nil(t, b.verify(t, acc))
	}
}

// writer is what the engines' stores offer for maintenance and tests: the
// pool that writes.
type writer interface{ Writer() *sql.DB }

// tamper runs a statement directly on the store's database, as someone
// with access to it would.
func tamper(t *testing.T, s keygate.Store, stmt string) {
	t.Helper()
	w, ok := s.(writer)
	require.True(t, ok, "the store offers its writer pool")
	res, err := w.Writer().ExecContext(context.Background(), stmt)
	require.NoError(t, err)
	n, err := res.RowsAffected()
	require.NoError(t, err)
	require.Positive(t, n, stmt)
}

// testAuditTamper edits, deletes and truncates entries behind keygate's
// back: verification fails and names the first broken link each time; an
// untouched chain verifies.
func testAuditTamper(t *testing.T, h Harness) {
	for _, c := range []struct {
		name   string
		stmt   string
		seq    int64
		reason string
	}{
		{"edited", "UPDATE audit_log SET detail = 'nothing to see' WHERE account_id = '%s' AND seq = 3", 3, "changed"},
		{"actor edited", "UPDATE audit_log SET actor_type = 'system' WHERE account_id = '%s' AND seq = 2", 2, "changed"},
		{"deleted", "DELETE FROM audit_log WHERE account_id = '%s' AND seq = 3", 3, "missing"},
		{"last deleted", "DELETE FROM audit_log WHERE account_id = '%s' AND seq = 5", 5, "head records"},
		{"first deleted", "DELETE FROM audit_log WHERE account_id = '%s' AND seq = 1", 1, "missing"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := setup(t, h)
			a := b.mustAccount(t, keygate.Live)
			other := b.mustAccount(t, keygate.Live)
			for i := range 5 {
				b.mustKey(t, a, fmt.Sprint(i))
			}
			b.mustKey(t, other, "untouched")
			require.Nil(t, b.verify(t, a.ID))
			tamper(t, b.store, fmt.Sprintf(c.stmt, a.ID))
			brk := b.verify(t, a.ID)
			require.NotNil(t, brk, "verification must fail")
			require.Equal(t, c.seq, brk.Seq, "the first broken link: %s", brk)
			require.Contains(t, brk.Error(), c.reason)
			require.Nil(t, b.verify(t, other.ID), "another account's chain is untouched")
		})
	}
}

// testAuditRetention prunes old entries: the chain still verifies from
// its anchor, entries written after the cutoff stay, a second run deletes
// nothing, and tampering after a prune is still found.
func testAuditRetention(t *testing.T, h Harness) {
	b := setup(t, h)
	a := b.mustAccount(t, keygate.Live)
	for i := range 5 {
		b.mustKey(t, a, fmt.Sprint(i))
	}
	b.clock.Add(48 * time.Hour)
	for i := range 3 {
		b.mustKey(t, a, fmt.Sprint("new", i))
	}
	cutoff := T0.Add(24 * time.Hour)
	n, err := b.svc.PruneAuditLog(b.ctx, cutoff, 2) // batches of 2: three transactions
	require.NoError(t, err)
	require.Equal(t, 5, n)
	log := b.auditLog(t, a.ID)
	require.Len(t, log, 3)
	require.Equal(t, int64(6), log[0].Seq, "numbering goes on")
	require.Nil(t, b.verify(t, a.ID), "the anchor keeps the chain verifiable")
	n, err = b.svc.PruneAuditLog(b.ctx, cutoff, 0)
	require.NoError(t, err)
	require.Zero(t, n)
	b.mustKey(t, a, "after")
	require.Nil(t, b.verify(t, a.ID))
	tamper(t, b.store, fmt.Sprintf("UPDATE audit_log SET action = 'api_key.updated' WHERE account_id = '%s' AND seq = 6", a.ID))
	brk := b.verify(t, a.ID)
	require.NotNil(t, brk)
	require.Equal(t, int64(6), brk.Seq)

	// A prune of everything leaves an empty chain that still verifies, and
	// the next entry chains after the anchor.
	c := b.mustAccount(t, keygate.Live)
	b.mustKey(t, c, "old")
	b.clock.Add(48 * time.Hour)
	_, err = b.svc.PruneAuditLog(b.ctx, b.clock.Now(), 0)
	require.NoError(t, err)
	require.Empty(t, b.auditLog(t, c.ID))
	require.Nil(t, b.verify(t, c.ID))
	b.mustKey(t, c, "new")
	require.Nil(t, b.verify(t, c.ID))
	require.True(t, strings.HasPrefix(b.auditLog(t, c.ID)[0].ID, "audit_"))
}
