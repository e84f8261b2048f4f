package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keygate/keygate"
)

// Dialect is what an engine supplies.
type Dialect struct {
	// Name names the engine in errors ("sqlite", "postgres").
	Name string
	// Queries are the engine's named queries, from LoadQueries.
	Queries map[string]string
	// IsUniqueViolation reports whether err is the engine's unique-constraint
	// violation, by the driver's error code.
	IsUniqueViolation func(error) bool
	// PrepareInTx runs transactions' named queries as statements prepared
	// once per connection (SQLite, whose driver parses every query it is
	// given; pgx keeps its own cache of prepared statements).
	PrepareInTx bool
	// IsDivisionByZero reports whether err is the engine's division by
	// zero: a strict query's way of saying it found no row (deferrable).
	IsDivisionByZero func(error) bool
	// Pipeline, if set, sends statements on conn in one round trip, in
	// order, stopping at the first that fails; its error is then a
	// *PipelineError. With it (and WriteDeferred among the queries), write
	// transactions hold back their inserts and send them with the commit
	// (runPipelined).
	Pipeline func(ctx context.Context, conn *sql.Conn, stmts []Statement) error
}

// DB implements keygate.Store over a writer and a reader pool. For SQLite
// the writer has a single connection (SQLite has one writer at a time); for
// PostgreSQL both may be the same pool.
type DB struct {
	writer  *sql.DB
	reader  *sql.DB
	dialect Dialect
	// keyPrefix is the database's recorded key prefix (a string), once
	// KeyPrefix has read it; API keys read carry it.
	keyPrefix atomic.Value
	stmts     sync.Map // query → *sql.Stmt on reader, for ReadDirect
	// seq numbers the change rows that writers committed unnumbered; chains
	// chains the audit entries they committed unchained (afterCommit).
	seq    sequencer[int64]
	chains sequencer[*keygate.AuditEntry]
	// sweepMu guards unchainedBefore: the audit entries SweepAudit found
	// unchained last time.
	sweepMu         sync.Mutex
	unchainedBefore map[string]bool
	// noFlush are the queries that can't see deferred writes, which
	// flushing sends without sending those first.
	noFlush map[string]bool
	// writerStmts and readerStmts are the pools' prepared statements for
	// transactions, if the dialect asks for them (PrepareInTx).
	writerStmts, readerStmts *stmtCache
}

var _ keygate.Store = (*DB)(nil)

// New returns a store over writer and reader. It does not take ownership of
// the pools until Close, which closes both.
func New(writer, reader *sql.DB, d Dialect) *DB {
	db := &DB{writer: writer, reader: reader, dialect: d}
	if d.PrepareInTx {
		db.writerStmts = newStmtCache(writer, d.Queries)
		db.readerStmts = newStmtCache(reader, d.Queries)
	}
	if db.deferring() {
		// A transaction reads its account's destinations right after
		// writing an event, to write its notifications: the event waits.
		db.noFlush = map[string]bool{}
		for _, name := range []string{"FindNotificationSettingsAsc", "FindNotificationSettingsDesc"} {
			db.noFlush[d.Queries[name]] = true
		}
	}
	return db
}

// Update implements keygate.Store.
func (db *DB) Update(ctx context.Context, fn func(keygate.Tx) error) error {
	return db.run(ctx, db.writer, db.writerStmts, nil, true, fn)
}

// View implements keygate.Store.
func (db *DB) View(ctx context.Context, fn func(keygate.Tx) error) error {
	return db.run(ctx, db.reader, db.readerStmts, &sql.TxOptions{ReadOnly: true}, false, fn)
}

func (db *DB) run(ctx context.Context, pool *sql.DB, stmts *stmtCache, opts *sql.TxOptions, write bool, fn func(keygate.Tx) error) error {
	if write && db.deferring() {
		return db.runPipelined(ctx, fn)
	}
	sqlTx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return db.internal("begin transaction", err)
	}
	var q querier = sqlTx
	if stmts != nil {
		cached := &cachedTx{tx: sqlTx, cache: stmts}
		q = cached
		defer func() { stmts.prepare(context.WithoutCancel(ctx), cached.missing) }() // after the rollback below
	}
	tx := &Tx{tx: q, db: db, write: write}
	defer sqlTx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.commitAudit(ctx); err != nil {
		return err
	}
	if err := tx.commitChanges(ctx); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return db.internal("commit", err)
	}
	return nil
}

// Ping implements keygate.Store.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.reader.PingContext(ctx); err != nil {
		return db.internal("ping", err)
	}
	return nil
}

// settleOnClose bounds how long Close waits for the runs that number and
// chain what was written (Settle): a database that doesn't answer must not
// hold a shutdown; what is left then, a node's sweep does.
const settleOnClose = 10 * time.Second

// Close implements keygate.Store.
func (db *DB) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), settleOnClose)
	_ = db.Settle(ctx) // the changes numbered and entries chained before the pools close
	cancel()
	db.closeStmts()
	if db.writerStmts != nil {
		db.writerStmts.close()
		db.readerStmts.close()
	}
	err := db.reader.Close()
	if db.writer != db.reader {
		err = errors.Join(err, db.writer.Close())
	}
	return err
}

// Writer returns the writer pool, for engine-specific maintenance and tests.
func (db *DB) Writer() *sql.DB { return db.writer }

// internal wraps an unexpected database error with what was being done.
func (db *DB) internal(what string, err error) error {
	return &keygate.Error{Code: keygate.CodeInternal, Message: "Internal error.", Err: fmt.Errorf("%s: %s: %w", db.dialect.Name, what, err)}
}

// Tx implements keygate.Tx over one database transaction.
type Tx struct {
	tx    querier
	db    *DB
	write bool
	// changes are the credential changes to write at commit.
	changes []keygate.Change
	// audits are the audit entries to chain and write at commit.
	audits []*keygate.AuditEntry
	// pending is what the transaction wrote unnumbered and unchained, to
	// number and chain after commit.
	pending pending
	// flusher is tx's querier where the engine defers writes; events and
	// notifications wait there for the next statement, with the audit
	// entries and changes.
	flusher       *flushing
	events        []*keygate.Event
	notifications []*keygate.Notification
}

var _ keygate.Tx = (*Tx)(nil)

// query returns the named query; a missing name is a programming error that
// LoadQueries already rules out for the required ones.
func (tx *Tx) query(name string) string {
	q, ok := tx.db.dialect.Queries[name]
	if !ok {
		panic("sqlstore: no query " + name)
	}
	return q
}

// exec runs a named statement and translates its error; notFoundID, if not
// "", turns "no row affected" into keygate.NotFound(notFoundID).
func (tx *Tx) exec(ctx context.Context, name, notFoundID string, args ...any) error {
	if tx.execDeferred(name, notFoundID, args) {
		return nil
	}
	res, err := tx.tx.ExecContext(ctx, tx.query(name), args...)
	if err != nil {
		return tx.translate(name, err)
	}
	if notFoundID != "" {
		if n, err := res.RowsAffected(); err != nil {
			return tx.translate(name, err)
		} else if n == 0 {
			return keygate.NotFound(notFoundID)
		}
	}
	return nil
}

// translate turns a driver error into a keygate error: a unique violation is
// CodeConflict, anything else internal with the query's name as context.
func (tx *Tx) translate(name string, err error) error {
	if f := tx.flusher; f != nil && f.err != nil {
		// A write held back failed when it was sent: the transaction ended
		// there, and that failure, not what followed it, is the answer.
		var ke *keygate.Error
		if errors.As(f.err, &ke) {
			return ke
		}
		return f.err
	}
	if tx.db.dialect.IsUniqueViolation(err) {
		return &keygate.Error{Code: keygate.CodeConflict, Message: "The entity already exists.", Err: err}
	}
	return tx.db.internal(name, err)
}

// listQuery returns the Asc or Desc form of a list query and the cursor to
// compare with: IDs are compared with "after" always, so that the condition
// can use the index, and with no cursor that is "" ascending (every ID is
// greater) or "~" descending (every ID, being [a-z0-9_], is smaller).
func listQuery(name string, p keygate.Page) (query, after string) {
	switch {
	case p.Desc && p.After == "":
		return name + "Desc", "~"
	case p.Desc:
		return name + "Desc", p.After
	default:
		return name + "Asc", p.After
	}
}
