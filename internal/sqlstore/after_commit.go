package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"github.com/keygate/keygate"
)

// Where the engine has writers in parallel (PostgreSQL: WriteDeferred
// among its queries), a writer's change rows and audit entries are
// committed unnumbered and unchained, then numbered and chained just after,
// in batches (docs/decisions.md, "The change feed's order" and "The audit
// chain after commit"). Numbering or chaining inside the writer's
// transaction would hold a lock across its commit: the change lock, which
// every writer of the cluster shares, or the head of its account's chain,
// which every writer of the account shares.

// pending is what one committed writer left to number and chain.
type pending struct {
	audits  []*keygate.AuditEntry
	changes []int64 // change rows' ids
}

// deferring reports whether the engine defers writes to a transaction's
// next statement or its commit (WriteDeferred among its queries).
func (db *DB) deferring() bool {
	_, ok := db.dialect.Queries["WriteDeferred"]
	return ok
}

// hasDeferred reports whether tx holds writes not yet sent.
func (tx *Tx) hasDeferred() bool {
	return len(tx.events)+len(tx.notifications)+len(tx.audits)+len(tx.changes) > 0
}

// flushDeferred sends the writes tx deferred (events, their notifications,
// audit entries unchained and change rows unnumbered) in one statement,
// WriteDeferred, on q; the audit entries and change rows become pending,
// for afterCommit.
func (tx *Tx) flushDeferred(ctx context.Context, q querier) error {
	ev, nt, au, ch := len(tx.events), len(tx.notifications), len(tx.audits), len(tx.changes)
	evID, evAccount, evEnv, evType, evEntity, evData := make([]string, ev), make([]string, ev), make([]string, ev), make([]string, ev), make([]string, ev), make([]string, ev)
	evAt := make([]time.Time, ev)
	for i, e := range tx.events {
		evID[i], evAccount[i], evEnv[i], evType[i], evEntity[i], evData[i] = e.ID, e.AccountID, string(e.Environment), string(e.Type), e.EntityID, string(e.Data)
		evAt[i] = utc(e.OccurredAt)
	}
	ntID, ntAccount, ntEnv, ntSetting, ntEvent, ntType := make([]string, nt), make([]string, nt), make([]string, nt), make([]string, nt), make([]string, nt), make([]string, nt)
	ntStatus, ntOrigin, ntPayload := make([]string, nt), make([]string, nt), make([]string, nt)
	ntAt, ntCreated, ntTimes := make([]time.Time, nt), make([]time.Time, nt), make([]int32, nt)
	for i, n := range tx.notifications {
		ntID[i], ntAccount[i], ntEnv[i], ntSetting[i], ntEvent[i], ntType[i] = n.ID, n.AccountID, string(n.Environment), n.SettingID, n.EventID, string(n.Type)
		ntStatus[i], ntOrigin[i], ntPayload[i] = string(n.Status), string(n.Origin), string(n.Payload)
		ntAt[i], ntCreated[i], ntTimes[i] = utc(n.OccurredAt), utc(n.CreatedAt), int32(n.TimesAttempted)
	}
	auID, auAccount, auEnv, auType, auActor := make([]string, au), make([]string, au), make([]string, au), make([]string, au), make([]string, au)
	auIP, auAgent, auAction, auTarget, auDetail := make([]string, au), make([]string, au), make([]string, au), make([]string, au), make([]string, au)
	auAt := make([]time.Time, au)
	for i, e := range tx.audits {
		auID[i], auAccount[i], auEnv[i], auType[i], auActor[i] = e.ID, e.AccountID, string(e.Environment), string(e.Actor.Type), e.Actor.ID
		auIP[i], auAgent[i], auAction[i], auTarget[i], auDetail[i] = e.Actor.IP, e.Actor.UserAgent, string(e.Action), e.TargetID, e.Detail
		auAt[i] = e.OccurredAt
	}
	chCredential, chAt := make([]string, ch), make([]time.Time, ch)
	for i, c := range tx.changes {
		chCredential[i], chAt[i] = c.CredentialID, c.ChangedAt
	}
	rows, err := q.QueryContext(ctx, tx.query("WriteDeferred"),
		evID, evAccount, evEnv, evType, evEntity, evAt, evData,
		ntID, ntAccount, ntEnv, ntSetting, ntEvent, ntType, ntStatus, ntOrigin, ntPayload, ntAt, ntTimes, ntCreated,
		auID, auAccount, auEnv, auType, auActor, auIP, auAgent, auAction, auTarget, auDetail, auAt,
		chCredential, chAt)
	if err != nil {
		return tx.translate("WriteDeferred", err)
	}
	changeRows, err := collect(rows, func(s scanner) (*int64, error) {
		var id int64
		return &id, s.Scan(&id)
	})
	if err != nil {
		return tx.translate("WriteDeferred", err)
	}
	for _, id := range changeRows {
		tx.pending.changes = append(tx.pending.changes, *id)
	}
	tx.pending.audits = append(tx.pending.audits, tx.audits...)
	tx.events, tx.notifications, tx.audits, tx.changes = nil, nil, nil, nil
	return nil
}

// flushing is a transaction's querier where the engine defers writes: it
// sends them before any statement but the reads that can't see them
// (DB.noFlush), so that every statement sees the transaction's writes
// before it, and most deferred writes go with the commit's.
type flushing struct {
	querier
	tx *Tx
	// err is the first flush's error: the statement after it fails too
	// (the transaction is aborted), and so does the commit.
	err error
}

func (f *flushing) flush(ctx context.Context, query string) {
	// Nothing but the commit reads audit entries and change rows: only
	// events and notifications are sent before a statement.
	if f.err != nil || len(f.tx.events)+len(f.tx.notifications) == 0 || f.tx.db.noFlush[query] {
		return
	}
	f.err = f.tx.flushDeferred(ctx, f.querier)
}

// ExecContext implements querier.
func (f *flushing) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	f.flush(ctx, query)
	if f.err != nil {
		return nil, f.err
	}
	return f.querier.ExecContext(ctx, query, args...)
}

// QueryContext implements querier.
func (f *flushing) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	f.flush(ctx, query)
	if f.err != nil {
		return nil, f.err
	}
	return f.querier.QueryContext(ctx, query, args...)
}

// QueryRowContext implements querier. A failed flush aborted the
// transaction, so the row's statement fails with it.
func (f *flushing) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	f.flush(ctx, query)
	return f.querier.QueryRowContext(ctx, query, args...)
}

// afterCommit numbers the committed change rows and chains the committed
// audit entries of p before it returns. The writers of one node share the
// work (sequencer): a writer joins the next run, and one run does the work
// of every writer that joined it, in one transaction, so that the node
// takes the change lock and its accounts' chain heads once per run instead
// of once per write.
func (db *DB) afterCommit(ctx context.Context, p pending) error {
	return db.after.number(ctx, []pending{p}, db.runAfterCommit)
}

// errChainedMeanwhile says that a run found some of its entries chained by
// another (a sweep that took them for orphans).
var errChainedMeanwhile = errors.New("audit entries chained meanwhile")

// accountsOf returns the accounts of entries, sorted, each once.
func accountsOf(entries []*keygate.AuditEntry) []string {
	accounts := make([]string, 0, 1)
	for _, e := range entries {
		accounts = append(accounts, e.AccountID)
	}
	slices.Sort(accounts)
	return slices.Compact(accounts)
}

// runAfterCommit does the work of ps in one transaction: it chains the
// audit entries (locking their accounts' heads), then numbers the change
// rows (taking the change lock): the locks are always taken in that order,
// so two runs can't deadlock. If another run chained some entries first,
// it goes again without them.
func (db *DB) runAfterCommit(ctx context.Context, ps []pending) error {
	var audits []*keygate.AuditEntry
	var changes []int64
	for _, p := range ps {
		audits = append(audits, p.audits...)
		changes = append(changes, p.changes...)
	}
	for {
		err := db.Update(ctx, func(t keygate.Tx) error {
			tx := t.(*Tx)
			if len(audits) > 0 {
				if err := tx.chainUnchained(ctx, audits); err != nil {
					return err
				}
			}
			if len(changes) > 0 {
				return tx.exec(ctx, "SequenceChangesOf", "", changes)
			}
			return nil
		})
		if !errors.Is(err, errChainedMeanwhile) {
			return err
		}
		// Another run chained at least one of the entries: each time round
		// there are fewer, so this ends.
		before := len(audits)
		if audits, err = db.stillUnchained(ctx, audits); err != nil {
			return err
		}
		if len(audits) >= before {
			return db.internal("chain audit entries", errChainedMeanwhile)
		}
	}
}
