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
// log"). Numbering or chaining inside the writer's
// transaction would hold a lock across its commit: the change lock, which
// every writer of the cluster shares, or the head of its account's chain,
// which every writer of the account shares.

// pending is what one committed writer left to number and chain.
type pending struct {
	audits  []*keygate.AuditEntry
	changes []int64 // change rows' ids
}

// deferring reports whether the engine defers writes to a transaction's
// next statement or its commit: WriteDeferred among its queries, and
// pipelines (Dialect.Pipeline) to send them with those.
func (db *DB) deferring() bool {
	_, ok := db.dialect.Queries["WriteDeferred"]
	return ok && db.dialect.Pipeline != nil
}

// writeDeferred is the statement that writes what tx deferred (events, their
// notifications, audit entries unchained and change rows unnumbered):
// WriteDeferred. The change rows' ids it returns become pending, for
// afterCommit, and so do the audit entries once it has run (deferredSent).
func (tx *Tx) writeDeferred() Statement {
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
	ntRetry := make([]*time.Time, nt)
	for i, n := range tx.notifications {
		ntID[i], ntAccount[i], ntEnv[i], ntSetting[i], ntEvent[i], ntType[i] = n.ID, n.AccountID, string(n.Environment), n.SettingID, n.EventID, string(n.Type)
		ntStatus[i], ntOrigin[i], ntPayload[i] = string(n.Status), string(n.Origin), string(n.Payload)
		ntAt[i], ntCreated[i], ntTimes[i] = utc(n.OccurredAt), utc(n.CreatedAt), int32(n.TimesAttempted)
		if n.RetryAt != nil {
			at := utc(*n.RetryAt)
			ntRetry[i] = &at
		}
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
	return Statement{
		Name: "WriteDeferred", Query: tx.query("WriteDeferred"),
		Args: []any{
			evID, evAccount, evEnv, evType, evEntity, evAt, evData,
			ntID, ntAccount, ntEnv, ntSetting, ntEvent, ntType, ntStatus, ntOrigin, ntPayload, ntAt, ntTimes, ntCreated,
			auID, auAccount, auEnv, auType, auActor, auIP, auAgent, auAction, auTarget, auDetail, auAt,
			chCredential, chAt, ntRetry,
		},
		Scan: func(scan func(...any) error) error {
			var id int64
			if err := scan(&id); err != nil {
				return err
			}
			tx.pending.changes = append(tx.pending.changes, id)
			return nil
		},
	}
}

// hasDeferred reports whether tx holds inserts not yet sent.
func (tx *Tx) hasDeferred() bool {
	return len(tx.events)+len(tx.notifications)+len(tx.audits)+len(tx.changes) > 0
}

// deferredSent records that what tx deferred has been written.
func (tx *Tx) deferredSent() {
	tx.pending.audits = append(tx.pending.audits, tx.audits...)
	tx.events, tx.notifications, tx.audits, tx.changes = nil, nil, nil, nil
}

// flushing is a pipelined transaction's querier (runPipelined): it sends
// the writes held back before any statement but the reads that can't see
// them (DB.noFlush), so that every statement sees the transaction's writes
// before it, and most held writes go with the commit.
type flushing struct {
	querier
	conn *sql.Conn
	tx   *Tx
	// execs are the writes held back (Tx.execDeferred).
	execs []deferredExec
	// begun says that BEGIN has been sent (with the first statement).
	begun bool
	// prefetch is what was read ahead (findAPIKeyPipelined), until the
	// next statement.
	prefetch *prefetched
	// err is the first send's error: the statement after it fails too,
	// and so does the commit.
	err error
}

func (f *flushing) flush(ctx context.Context, query string) {
	if f.err != nil {
		return
	}
	// Nothing but the commit reads audit entries and change rows: only
	// held writes, events and notifications are sent before a statement.
	writes := len(f.execs)+len(f.tx.events)+len(f.tx.notifications) > 0 && !f.tx.db.noFlush[query]
	if writes || !f.begun {
		f.err = f.send(ctx, writes, false)
	}
	f.prefetch = nil
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

// QueryRowContext implements querier. After a failed send the row's
// statement runs all the same (a *sql.Row can't be made with an error);
// the commit fails with the send's error.
func (f *flushing) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	f.flush(ctx, query)
	return f.querier.QueryRowContext(ctx, query, args...)
}

// afterCommit hands what p committed unnumbered and unchained to the
// node's runs, which number the change rows and chain the audit entries
// just after, without the writer waiting (docs/decisions.md, "The change
// feed's order" and "The audit log"). The writers of one node share both
// (sequencer): a writer's rows join the next run, and one run does the work
// of every writer that joined it, so that the node takes the change lock,
// and its accounts' chain heads, once per run instead of once per write.
func (db *DB) afterCommit(ctx context.Context, p pending) {
	if len(p.audits) > 0 {
		db.chains.hand(context.WithoutCancel(ctx), p.audits, db.runChain)
	}
	if len(p.changes) > 0 {
		db.seq.hand(context.WithoutCancel(ctx), p.changes, db.runSequenceChangesOf)
	}
}

// Settle returns once what this node's writers committed before it is
// numbered and chained (or its runs have failed, leaving it to the
// sweeps). Close settles, so that a process that wrote (the CLI) has its
// changes numbered before it exits.
func (db *DB) Settle(ctx context.Context) error {
	return errors.Join(db.seq.settle(ctx, db.runSequenceChangesOf), db.SettleAudit(ctx))
}

// SettleAudit returns once the audit entries this node's writers committed
// before it are chained (or their chaining has failed, leaving them to the
// sweep): a read of the audit log through this node then sees every entry
// written through it chained. Entries written through other nodes are
// chained within milliseconds of their commit, by their own nodes.
func (db *DB) SettleAudit(ctx context.Context) error {
	return db.chains.settle(ctx, db.runChain)
}

// runSequenceChangesOf numbers the committed change rows ids, with their
// notices, in one statement that takes the change lock (SequenceChangesOf):
// an implicit transaction, one round trip.
func (db *DB) runSequenceChangesOf(ctx context.Context, ids []int64) error {
	if _, err := db.writer.ExecContext(ctx, db.dialect.Queries["SequenceChangesOf"], ids); err != nil {
		return db.internal("SequenceChangesOf", err)
	}
	return nil
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

// runChain chains audits, committed unchained, in one transaction. If
// another run chained some of them first (a sweep that took them for
// orphans), it goes again without those.
func (db *DB) runChain(ctx context.Context, audits []*keygate.AuditEntry) error {
	for len(audits) > 0 {
		err := db.Update(ctx, func(t keygate.Tx) error {
			return t.(*Tx).chainUnchained(ctx, audits)
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
	return nil
}
