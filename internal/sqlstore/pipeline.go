package sqlstore

import (
	"context"
	"errors"

	"github.com/keygate/keygate"
)

// Where the engine can send several statements in one round trip
// (Dialect.Pipeline: PostgreSQL), a write transaction runs on a connection
// of its own, with BEGIN and COMMIT of its own, so that its last writes and
// its COMMIT go together: a key change is four round trips (begin, the key
// read and locked, the account's destinations, then its update, event,
// audit entry and change row with the commit) where it was six
// (docs/performance.md, "Change feed on PostgreSQL").

// Statement is one statement of a pipeline.
type Statement struct {
	// Name names the statement in errors.
	Name  string
	Query string
	Args  []any
	// Scan, if set, is called for each row the statement returns, with the
	// function that scans it.
	Scan func(scan func(dest ...any) error) error
}

// PipelineError is a pipeline's error: Index is the statement that failed
// (len(statements) if none did, but the round trip).
type PipelineError struct {
	Index int
	Err   error
}

// Error implements error.
func (e *PipelineError) Error() string { return e.Err.Error() }

// Unwrap returns the statement's error.
func (e *PipelineError) Unwrap() error { return e.Err }

// deferredExec is a write whose only outcome its caller uses is an error
// (Tx.exec), held until the transaction's next statement or its commit.
type deferredExec struct {
	name       string // the write's strict query (deferrable)
	notFoundID string
	args       []any
}

// deferrable are the writes held until the next statement or the commit,
// where the engine has pipelines (those that every key change makes), each
// with its strict query: the same write, failing with a division by zero
// (Dialect.IsDivisionByZero) where the write would find no row, so that the
// server stops the pipeline before its COMMIT.
var deferrable = map[string]string{"UpdateAPIKey": "UpdateAPIKeyStrict"}

// runPipelined runs fn in a write transaction on a connection of its own
// (BEGIN, then fn's statements, then the held writes and COMMIT in one
// pipeline), then does what is left for after the commit.
func (db *DB) runPipelined(ctx context.Context, fn func(keygate.Tx) error) error {
	tx := &Tx{db: db, write: true}
	if err := db.commitPipelined(ctx, tx, fn); err != nil {
		return err
	}
	if len(tx.pending.audits)+len(tx.pending.changes) > 0 {
		// The transaction committed: its changes are in force even if
		// numbering or chaining fails now, so that failure is not this
		// write's; a node's sweeps do it within seconds (SweepChanges,
		// SweepAudit). The connection is back in the pool by now: the
		// after-commit runs need one.
		_ = db.afterCommit(context.WithoutCancel(ctx), tx.pending)
	}
	return nil
}

// commitPipelined runs fn as tx and commits it. A connection is never
// returned to the pool in a transaction: it is rolled back, and the driver
// drops a connection whose rollback failed.
func (db *DB) commitPipelined(ctx context.Context, tx *Tx, fn func(keygate.Tx) error) error {
	conn, err := db.writer.Conn(ctx)
	if err != nil {
		return db.internal("begin transaction", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		return db.internal("begin transaction", err)
	}
	tx.flusher = &flushing{querier: conn, conn: conn, tx: tx}
	tx.tx = tx.flusher
	err = fn(tx)
	if err == nil {
		err = tx.flusher.send(ctx, true)
	}
	if err != nil {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
	}
	return err
}

// send sends what f's transaction deferred in one pipeline: the deferred
// writes, then its events, notifications, audit entries and change rows
// (WriteDeferred), then, if commit, COMMIT.
func (f *flushing) send(ctx context.Context, commit bool) error {
	if f.err != nil {
		return f.err
	}
	tx := f.tx
	var stmts []Statement
	execs := f.execs
	for _, e := range execs {
		stmts = append(stmts, Statement{Name: e.name, Query: tx.query(e.name), Args: e.args})
	}
	if len(tx.events)+len(tx.notifications)+len(tx.audits)+len(tx.changes) > 0 {
		stmts = append(stmts, tx.writeDeferred())
	}
	if commit {
		stmts = append(stmts, Statement{Name: "commit", Query: "COMMIT"})
	}
	f.execs = nil
	if len(stmts) == 0 {
		return nil
	}
	err := tx.db.dialect.Pipeline(ctx, f.conn, stmts)
	if err == nil {
		tx.deferredSent()
		return nil
	}
	f.err = tx.pipelineError(stmts, execs, err)
	return f.err
}

// pipelineError turns the error of the pipeline stmts, which began with the
// held writes execs, into a keygate error: a held write that found no row
// is keygate.NotFound, as Tx.exec says it at once; else the failed
// statement's error, translated.
func (tx *Tx) pipelineError(stmts []Statement, execs []deferredExec, err error) error {
	var pe *PipelineError
	if !errors.As(err, &pe) || pe.Index >= len(stmts) {
		return tx.translate("pipeline", err)
	}
	if pe.Index < len(execs) {
		if e := execs[pe.Index]; e.notFoundID != "" && tx.db.dialect.IsDivisionByZero(pe.Err) {
			return keygate.NotFound(e.notFoundID)
		}
	}
	return tx.translate(stmts[pe.Index].Name, pe.Err)
}

// execDeferred holds the write name until the next statement or the
// commit, if the transaction runs with pipelines and name is deferrable
// (with its strict query among the engine's), and reports whether it did.
func (tx *Tx) execDeferred(name, notFoundID string, args []any) bool {
	f := tx.flusher
	if f == nil {
		return false
	}
	strict, ok := deferrable[name]
	if !ok || tx.db.dialect.Queries[strict] == "" {
		return false
	}
	f.execs = append(f.execs, deferredExec{name: strict, notFoundID: notFoundID, args: args})
	return true
}
