package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/postgres"
)

// countOf returns the count(*) that query (with args) answers on db.
func countOf(t *testing.T, db interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, query string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, db.QueryRowContext(context.Background(), query, args...).Scan(&n))
	return n
}

// otherPool opens a pool of its own on db's schema, as another process
// would see it; the test closes it.
func otherPool(t *testing.T, db *schemaDB) *sql.DB {
	t.Helper()
	other, err := sql.Open("pgx", db.url)
	require.NoError(t, err)
	t.Cleanup(func() { other.Close() })
	return other
}

// newKeyOn makes an account and a key on svc, so that the account's audit
// chain has a head.
func newKeyOn(t *testing.T, svc *app.Service) (*keygate.Account, *keygate.APIKey) {
	t.Helper()
	ctx := context.Background()
	acc, err := svc.CreateAccount(ctx, keygate.AccountCreate{Environment: keygate.Live, Name: "Acme"})
	require.NoError(t, err)
	k, _, err := svc.CreateAPIKey(ctx, app.OperatorScope(), acc.ID, keygate.APIKeyCreate{Name: "k", Permissions: []keygate.Permission{"customer.read"}})
	require.NoError(t, err)
	_, err = svc.AuditHeads(ctx) // the key's entry chained, and so the head made
	require.NoError(t, err)
	return acc, k
}

// verifyChain checks that the account's chain verifies, holds want
// entries, and that none is left unchained.
func verifyChain(t *testing.T, db *schemaDB, svc *app.Service, accountID string, want int64) {
	t.Helper()
	ctx := context.Background()
	states, err := svc.VerifyAuditLog(ctx, &accountID)
	require.NoError(t, err)
	require.Len(t, states, 1)
	require.Nil(t, states[0].Break)
	require.Equal(t, want, states[0].Head.Seq)
	require.Zero(t, countOf(t, db.Writer(), `SELECT count(*) FROM audit_log WHERE seq IS NULL`), "every entry chained")
}

// heldHead opens a store with an account and a key, and holds the
// account's audit head in a transaction of its own, as a run of another
// node chaining its entries would; the test rolls it back to free it.
func heldHead(t *testing.T) (*schemaDB, *app.Service, *keygate.Account, *keygate.APIKey, *sql.Tx) {
	t.Helper()
	db := MustOpenDB(t)
	ctx := context.Background()
	svc := &app.Service{Store: db, Now: time.Now}
	acc, k := newKeyOn(t, svc)
	holder, err := db.Writer().BeginTx(ctx, nil)
	require.NoError(t, err)
	t.Cleanup(func() { holder.Rollback() })
	_, err = holder.ExecContext(ctx, `SELECT 1 FROM audit_heads WHERE account_id = $1 FOR UPDATE`, acc.ID)
	require.NoError(t, err)
	return db, svc, acc, k, holder
}

// TestAuditCommitsBeforeChaining holds an account's chain head, as a run
// of another node chaining its entries would: a key change of that account
// still commits and returns at once (its entry waits, unchained, for the
// head), and is chained once the head is free. Were
// entries chained inside the writer's transaction, or writers to wait for
// their chaining, the change would wait for the head, and so for every
// other writer of the account.
func TestAuditCommitsBeforeChaining(t *testing.T) {
	t.Parallel()
	db, svc, acc, k, holder := heldHead(t)
	ctx := context.Background()

	done := make(chan error, 1)
	go func() {
		desc := "changed while the head is held"
		_, err := svc.UpdateAPIKey(ctx, app.OperatorScope(), k.ID, keygate.APIKeyUpdate{Description: &desc})
		done <- err
	}()
	other := otherPool(t, db)
	require.Eventually(t, func() bool {
		var desc string
		err := other.QueryRowContext(ctx, `SELECT description FROM api_keys WHERE id = $1`, k.ID).Scan(&desc)
		return err == nil && desc == "changed while the head is held"
	}, 10*time.Second, 10*time.Millisecond, "the change commits while the head is held")
	require.Equal(t, 1, countOf(t, other, `SELECT count(*) FROM audit_log WHERE account_id = $1 AND seq IS NULL`, acc.ID), "its entry is committed, unchained")
	select {
	case err := <-done:
		require.NoError(t, err, "the writer returns without waiting for the head")
	case <-time.After(10 * time.Second):
		t.Fatal("the writer waits for its entry's chaining")
	}

	require.NoError(t, holder.Rollback())
	verifyChain(t, db, svc, acc.ID, 2)
}

// TestOrphanAuditChained: an entry whose writer died between its commit
// and its chaining is listed (seq 0), doesn't break verification, and a
// node's sweep chains it after the head.
func TestOrphanAuditChained(t *testing.T) {
	t.Parallel()
	db := MustOpenDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	svc := &app.Service{Store: db, Now: time.Now}
	acc, _ := newKeyOn(t, svc)
	_, err := db.Writer().ExecContext(ctx, `INSERT INTO audit_log (id, account_id, environment, actor_type, actor_id, ip, user_agent, action, target_id, detail, occurred_at)
		VALUES ('audit_orphan', $1, 'live', 'system', '', '', '', 'api_key.updated', 'apikey_x', '', now())`, acc.ID)
	require.NoError(t, err)

	list, _, err := svc.ListAuditLog(ctx, app.OperatorScope(), keygate.AuditFilter{AccountID: acc.ID, Page: keygate.Page{Limit: 10}})
	require.NoError(t, err)
	require.Len(t, list, 2)
	seqs := map[string]int64{list[0].ID: list[0].Seq, list[1].ID: list[1].Seq}
	require.Zero(t, seqs["audit_orphan"], "listed before it is chained, with seq 0")
	states, err := svc.VerifyAuditLog(ctx, &acc.ID)
	require.NoError(t, err)
	require.Nil(t, states[0].Break, "an unchained entry breaks no link")

	db.ChangeNotices(ctx, nil) // what a following node runs, with its sweeps
	require.Eventually(t, func() bool {
		var seq sql.NullInt64
		err := db.Writer().QueryRowContext(ctx, `SELECT seq FROM audit_log WHERE id = 'audit_orphan'`).Scan(&seq)
		return err == nil && seq.Valid
	}, 15*time.Second, 50*time.Millisecond)
	verifyChain(t, db, svc, acc.ID, 2)
}

// TestAuditSweepRacesWriters runs writers of one account on two nodes
// while a node sweeps for unchained entries as fast as it can: the sweep
// takes entries whose writers are about to chain them, and the writers'
// runs must then start again without those rather than chain after a head
// that moved. The chain must come out whole, every entry in it once.
func TestAuditSweepRacesWriters(t *testing.T) {
	t.Parallel()
	one := MustOpenDB(t)
	two, err := postgres.Open(context.Background(), one.url)
	require.NoError(t, err)
	t.Cleanup(func() { two.Close() })
	ctx := context.Background()
	nodes := []*app.Service{{Store: one, Now: time.Now}, {Store: two, Now: time.Now}}
	acc, k := newKeyOn(t, nodes[0])

	stop := make(chan struct{})
	var sweeps atomic.Int64
	var sweeper sync.WaitGroup
	sweeper.Add(1)
	go func() {
		defer sweeper.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			require.NoError(t, two.SweepAudit(ctx))
			sweeps.Add(1)
		}
	}()
	const writers, each = 8, 25
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				desc := fmt.Sprintf("writer %d, change %d", w, i)
				if _, err := nodes[w%2].UpdateAPIKey(ctx, app.OperatorScope(), k.ID, keygate.APIKeyUpdate{Description: &desc}); err != nil {
					errs[w] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	sweeper.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	require.Positive(t, sweeps.Load())
	settle(t, nodes)
	verifyChain(t, one, nodes[1], acc.ID, 1+writers*each)
}

// TestDeferredWrites: events and new notifications wait for the
// transaction's next statement, or its commit, and go with it; a statement
// after them sees them, a notification of an event written in the same
// batch satisfies its foreign key, and a deferred write that fails undoes
// the whole transaction.
func TestDeferredWrites(t *testing.T) {
	t.Parallel()
	db := MustOpenDB(t)
	ctx := context.Background()
	svc := &app.Service{Store: db, Now: time.Now}
	acc, k := newKeyOn(t, svc)
	now := time.Now().UTC().Truncate(time.Microsecond)
	setting := newSetting("ntfset_deferred", acc.ID, true)
	event := &keygate.Event{ID: "evt_deferred", AccountID: acc.ID, Environment: keygate.Live, Type: keygate.EventAPIKeyUpdated,
		EntityID: k.ID, OccurredAt: now, Data: []byte(`{"b":1,"a":2}`)}
	notification := &keygate.Notification{ID: "ntf_deferred", AccountID: acc.ID, Environment: keygate.Live, SettingID: setting.ID,
		EventID: event.ID, Type: event.Type, Status: keygate.NotificationNotAttempted, Origin: keygate.OriginEvent,
		Payload: []byte(`{"event_id":"evt_deferred"}`), OccurredAt: now, CreatedAt: now}
	require.NoError(t, db.Update(ctx, func(tx keygate.Tx) error {
		require.NoError(t, tx.CreateNotificationSetting(ctx, setting))
		require.NoError(t, tx.CreateEvent(ctx, event))
		require.NoError(t, tx.CreateNotification(ctx, notification))
		events, _, err := tx.FindEvents(ctx, keygate.EventFilter{AccountID: acc.ID, EntityID: k.ID, Page: keygate.Page{Limit: 10, SkipCount: true}})
		require.NoError(t, err)
		var ids []string
		for _, e := range events {
			ids = append(ids, e.ID)
		}
		require.Contains(t, ids, event.ID, "a statement after a deferred write sees it")
		return nil
	}))
	var data, status string
	require.NoError(t, db.Writer().QueryRowContext(ctx, `SELECT e.data::text, n.status FROM events e JOIN notifications n ON n.event_id = e.id WHERE n.id = 'ntf_deferred'`).Scan(&data, &status))
	require.Equal(t, `{"b":1,"a":2}`, data, "the event's data kept as written")
	require.Equal(t, string(keygate.NotificationNotAttempted), status)

	// An event of an account that doesn't exist fails at commit, and the
	// key's change before it is undone.
	err := db.Update(ctx, func(tx keygate.Tx) error {
		changed := *k
		desc := "never committed"
		changed.Description = &desc
		if err := tx.UpdateAPIKey(ctx, &changed); err != nil {
			return err
		}
		bad := *event
		bad.ID, bad.AccountID = "evt_orphan", "acc_missing"
		return tx.CreateEvent(ctx, &bad)
	})
	require.Error(t, err)
	got, err := svc.GetAPIKey(ctx, app.OperatorScope(), k.ID)
	require.NoError(t, err)
	require.Nil(t, got.Description)
	require.Zero(t, countOf(t, db.Writer(), `SELECT count(*) FROM events WHERE id = 'evt_orphan'`))
}

// TestAuditReadAfterWrite: a read of the audit log through a node shows the
// entries written through that node chained (SettleAudit), even though
// their writers returned before the chaining: with the head held, the read
// waits; once it is free, the read shows the entry with its seq.
func TestAuditReadAfterWrite(t *testing.T) {
	t.Parallel()
	_, svc, acc, k, holder := heldHead(t)
	ctx := context.Background()
	desc := "read after write"
	_, err := svc.UpdateAPIKey(ctx, app.OperatorScope(), k.ID, keygate.APIKeyUpdate{Description: &desc})
	require.NoError(t, err)

	type result struct {
		list []*keygate.AuditEntry
		err  error
	}
	read := make(chan result, 1)
	go func() {
		list, _, err := svc.ListAuditLog(ctx, app.OperatorScope(), keygate.AuditFilter{AccountID: acc.ID, Page: keygate.Page{Limit: 10}})
		read <- result{list, err}
	}()
	select {
	case r := <-read:
		t.Fatalf("the read did not wait for the entry's chaining: %d entries, %v", len(r.list), r.err)
	case <-time.After(300 * time.Millisecond):
	}
	require.NoError(t, holder.Rollback())
	r := <-read
	require.NoError(t, r.err)
	require.Len(t, r.list, 2)
	seqs := map[keygate.AuditAction]int64{r.list[0].Action: r.list[0].Seq, r.list[1].Action: r.list[1].Seq}
	require.Equal(t, int64(2), seqs[keygate.AuditKeyUpdated], "chained when read")
}

// TestPipelinedWriteFails: a write held back for the commit's pipeline
// (a key's update, a notification's) that finds no row fails the
// transaction as it would have at once, with not_found; nothing of the transaction is committed;
// and the connection goes back to the pool out of any transaction, so the
// next transaction on it commits.
func TestPipelinedWriteFails(t *testing.T) {
	t.Parallel()
	db := MustOpenDB(t)
	ctx := context.Background()
	svc := &app.Service{Store: db, Now: time.Now}
	acc, k := newKeyOn(t, svc)
	db.Writer().SetMaxOpenConns(1) // the next transaction gets the same connection

	now := time.Now().UTC()
	err := db.Update(ctx, func(tx keygate.Tx) error {
		ghost := *k
		ghost.ID = "apikey_ghost"
		if err := tx.UpdateAPIKey(ctx, &ghost); err != nil {
			return err // held back: not reached
		}
		return tx.CreateEvent(ctx, &keygate.Event{ID: "evt_ghost", AccountID: acc.ID, Environment: keygate.Live,
			Type: keygate.EventAPIKeyUpdated, EntityID: ghost.ID, OccurredAt: now, Data: []byte(`{}`)})
	})
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err), "%v", err)
	require.Zero(t, countOf(t, db.Writer(), `SELECT count(*) FROM events WHERE id = 'evt_ghost'`), "the event of the failed transaction is not committed")

	// The same for a recorded delivery: the notification's update finds
	// none, and its log (held after it) is not committed.
	err = db.Update(ctx, func(tx keygate.Tx) error {
		ghost := &keygate.Notification{ID: "ntf_ghost", Status: keygate.NotificationFailed, TimesAttempted: 1}
		if err := tx.UpdateNotification(ctx, ghost); err != nil {
			return err // held back: not reached
		}
		return tx.CreateNotificationLog(ctx, &keygate.NotificationLog{ID: "ntflog_ghost", NotificationID: "ntf_ghost",
			AccountID: acc.ID, ResponseCode: 500, AttemptedAt: now})
	})
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err), "%v", err)
	require.Zero(t, countOf(t, db.Writer(), `SELECT count(*) FROM notification_logs WHERE id = 'ntflog_ghost'`), "the log of the failed transaction is not committed")

	desc := "after the failure"
	_, err = svc.UpdateAPIKey(ctx, app.OperatorScope(), k.ID, keygate.APIKeyUpdate{Description: &desc})
	require.NoError(t, err)
	var got string
	require.NoError(t, otherPool(t, db).QueryRowContext(ctx, `SELECT description FROM api_keys WHERE id = $1`, k.ID).Scan(&got))
	require.Equal(t, desc, got, "the next transaction on the connection committed")
}

// activeFilter is the filter of app's read of an account's destinations for
// an event, which a key read for update prefetches.
func activeFilter(accountID string) keygate.NotificationSettingFilter {
	active := true
	return keygate.NotificationSettingFilter{AccountID: accountID, Active: &active, Page: keygate.Page{Limit: keygate.MaxPageSize, SkipCount: true}}
}

// newSetting makes a destination of accountID.
func newSetting(id, accountID string, active bool) *keygate.NotificationSetting {
	now := time.Now().UTC().Truncate(time.Microsecond)
	return &keygate.NotificationSetting{ID: id, AccountID: accountID, Environment: keygate.Live, Description: id,
		Type: keygate.DestinationURL, Destination: "https://example.com/" + id, Active: active, APIVersion: 1,
		SubscribedEvents: []keygate.EventType{keygate.EventAPIKeyUpdated}, TrafficSource: keygate.TrafficAll, SealedSecret: []byte{1}, CreatedAt: now, UpdatedAt: now}
}

// TestPrefetchedDestinations: the destinations read ahead with a key are
// exactly its account's active ones, and a statement sent after them (here
// a new destination) makes the transaction read them again, so that it
// sees its own write.
func TestPrefetchedDestinations(t *testing.T) {
	t.Parallel()
	db := MustOpenDB(t)
	ctx := context.Background()
	svc := &app.Service{Store: db, Now: time.Now}
	acc, k := newKeyOn(t, svc)
	other, _ := newKeyOn(t, svc)
	require.NoError(t, db.Update(ctx, func(tx keygate.Tx) error {
		for _, s := range []*keygate.NotificationSetting{
			newSetting("ntfset_b", acc.ID, true), newSetting("ntfset_a", acc.ID, true),
			newSetting("ntfset_off", acc.ID, false), newSetting("ntfset_other", other.ID, true),
		} {
			if err := tx.CreateNotificationSetting(ctx, s); err != nil {
				return err
			}
		}
		return nil
	}))
	ids := func(list []*keygate.NotificationSetting) []string {
		var out []string
		for _, s := range list {
			out = append(out, s.ID)
		}
		return out
	}

	require.NoError(t, db.Update(ctx, func(tx keygate.Tx) error {
		_, err := tx.FindAPIKeyByID(ctx, k.ID)
		require.NoError(t, err)
		list, _, err := tx.FindNotificationSettings(ctx, activeFilter(acc.ID))
		require.NoError(t, err)
		require.Equal(t, []string{"ntfset_a", "ntfset_b"}, ids(list), "the account's active destinations, by ID")
		return nil
	}))

	require.NoError(t, db.Update(ctx, func(tx keygate.Tx) error {
		_, err := tx.FindAPIKeyByID(ctx, k.ID)
		require.NoError(t, err)
		require.NoError(t, tx.CreateNotificationSetting(ctx, newSetting("ntfset_c", acc.ID, true)))
		list, _, err := tx.FindNotificationSettings(ctx, activeFilter(acc.ID))
		require.NoError(t, err)
		require.Equal(t, []string{"ntfset_a", "ntfset_b", "ntfset_c"}, ids(list), "the transaction's own new destination")
		return nil
	}))

	// A key of another account: its destinations are not served for acc.
	require.NoError(t, db.Update(ctx, func(tx keygate.Tx) error {
		otherKeys, _, err := tx.FindAPIKeys(ctx, keygate.APIKeyFilter{AccountID: other.ID, Page: keygate.Page{Limit: 1, SkipCount: true}})
		require.NoError(t, err)
		_, err = tx.FindAPIKeyByID(ctx, otherKeys[0].ID)
		require.NoError(t, err)
		list, _, err := tx.FindNotificationSettings(ctx, activeFilter(acc.ID))
		require.NoError(t, err)
		require.Equal(t, []string{"ntfset_a", "ntfset_b", "ntfset_c"}, ids(list))
		return nil
	}))
}

// TestPipelinedReadNotFound: a key read for update that finds nothing (sent
// with BEGIN) answers not_found, and the transaction can go on.
func TestPipelinedReadNotFound(t *testing.T) {
	t.Parallel()
	db := MustOpenDB(t)
	ctx := context.Background()
	svc := &app.Service{Store: db, Now: time.Now}
	_, k := newKeyOn(t, svc)
	require.NoError(t, db.Update(ctx, func(tx keygate.Tx) error {
		_, err := tx.FindAPIKeyByID(ctx, "apikey_missing")
		require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err))
		got, err := tx.FindAPIKeyByID(ctx, k.ID)
		require.NoError(t, err)
		require.Equal(t, k.ID, got.ID)
		require.Equal(t, k.Permissions, got.Permissions)
		require.Equal(t, k.CreatedAt, got.CreatedAt)
		return nil
	}))
}

// TestCloseSettles: a process that writes and closes its store at once (a
// CLI command) leaves its changes numbered and its audit entries chained:
// its writers return before their runs, and Close waits for them. Without
// that, the runs would meet closed pools, and the changes wait for another
// node's sweep.
func TestCloseSettles(t *testing.T) {
	t.Parallel()
	db := MustOpenDB(t)
	ctx := context.Background()
	cli, err := postgres.Open(ctx, db.url)
	require.NoError(t, err)
	svc := &app.Service{Store: cli, Now: time.Now}
	acc, err := svc.CreateAccount(ctx, keygate.AccountCreate{Environment: keygate.Live, Name: "Acme"})
	require.NoError(t, err)
	for i := range 20 {
		_, _, err := svc.CreateAPIKey(ctx, app.OperatorScope(), acc.ID, keygate.APIKeyCreate{Name: fmt.Sprint(i), Permissions: []keygate.Permission{"customer.read"}})
		require.NoError(t, err)
	}
	require.NoError(t, cli.Close())

	require.Zero(t, countOf(t, db.Writer(), `SELECT count(*) FROM credential_changes WHERE seq IS NULL`), "every change numbered by the closing process")
	require.Zero(t, countOf(t, db.Writer(), `SELECT count(*) FROM audit_log WHERE seq IS NULL`), "every entry chained by the closing process")
}

// TestPipelinedPanicRollsBack: a transaction whose function panics (the
// API recovers panics and goes on) is rolled back before its connection
// goes back to the pool, so that it holds no lock: the key it read for
// update can be locked at once from another connection.
func TestPipelinedPanicRollsBack(t *testing.T) {
	t.Parallel()
	db := MustOpenDB(t)
	ctx := context.Background()
	_, k := newKeyOn(t, &app.Service{Store: db, Now: time.Now})
	func() {
		defer func() { require.NotNil(t, recover()) }()
		_ = db.Update(ctx, func(tx keygate.Tx) error {
			if _, err := tx.FindAPIKeyByID(ctx, k.ID); err != nil {
				return err
			}
			panic("a bug in a use case")
		})
	}()
	lock, err := otherPool(t, db).BeginTx(ctx, nil)
	require.NoError(t, err)
	defer lock.Rollback()
	_, err = lock.ExecContext(ctx, `SELECT 1 FROM api_keys WHERE id = $1 FOR UPDATE NOWAIT`, k.ID)
	require.NoError(t, err, "the panicking transaction left no lock behind")
}

// TestPipelinedErrorIsTheFirst: once a held write has failed, the calls
// after it answer with its error (here not_found), not with what the ended
// transaction made of them.
func TestPipelinedErrorIsTheFirst(t *testing.T) {
	t.Parallel()
	db := MustOpenDB(t)
	ctx := context.Background()
	acc, k := newKeyOn(t, &app.Service{Store: db, Now: time.Now})
	err := db.Update(ctx, func(tx keygate.Tx) error {
		ghost := *k
		ghost.ID = "apikey_ghost"
		require.NoError(t, tx.UpdateAPIKey(ctx, &ghost), "held back")
		_, _, err := tx.FindAPIKeys(ctx, keygate.APIKeyFilter{AccountID: acc.ID, Page: keygate.Page{Limit: 10}})
		require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err), "a list after it: %v", err)
		_, err = tx.FindAccountByID(ctx, acc.ID)
		require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err), "a read after it: %v", err)
		return nil
	})
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err), "the commit: %v", err)
}
