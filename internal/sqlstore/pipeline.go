package sqlstore

import (
	"context"
	"errors"

	"github.com/keygate/keygate"
)

// Where the engine can send several statements in one round trip
// (Dialect.Pipeline: PostgreSQL), a write transaction runs on a connection
// of its own, with BEGIN and COMMIT of its own, and sends its statements in
// as few round trips as it can: BEGIN goes with its first statement, the
// key a change reads goes with the account's destinations, and its last
// writes go with COMMIT. A key change is two round trips where it was six
// (docs/decisions.md, "A write transaction on PostgreSQL").

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
// where the engine has pipelines (those that key changes, key creations and
// recorded deliveries make), each with the query it is sent as: an insert
// as it is (it fails on the server by itself); a write that must find its
// row as its strict query, the same write failing with a division by zero
// (Dialect.IsDivisionByZero) where it finds none, so that the server stops
// the pipeline before its COMMIT.
var deferrable = map[string]string{
	"UpdateAPIKey":          "UpdateAPIKeyStrict",
	"CreateAPIKey":          "CreateAPIKey", // an insert fails on the server by itself
	"UpdateNotification":    "UpdateNotificationStrict",
	"CreateNotificationLog": "CreateNotificationLog",
}

// runPipelined runs fn in a write transaction on a connection of its own
// (BEGIN, then fn's statements, then the held writes and COMMIT in one
// pipeline), then does what is left for after the commit.
func (db *DB) runPipelined(ctx context.Context, fn func(keygate.Tx) error) error {
	tx := &Tx{db: db, write: true}
	if err := db.commitPipelined(ctx, tx, fn); err != nil {
		return err
	}
	// The transaction committed; its change rows are numbered and its audit
	// entries chained just after, by runs that need a connection (this one
	// is back in the pool by now). If a run fails, a node's sweeps do it
	// within seconds (SweepChanges, SweepAudit).
	db.afterCommit(ctx, tx.pending)
	return nil
}

// commitPipelined runs fn as tx and commits it. A connection is never
// returned to the pool in a transaction: it is rolled back, when fn fails
// and when it panics, and the driver drops a connection whose rollback
// failed when it is next taken from the pool.
func (db *DB) commitPipelined(ctx context.Context, tx *Tx, fn func(keygate.Tx) error) (err error) {
	conn, err := db.writer.Conn(ctx)
	if err != nil {
		return db.internal("begin transaction", err)
	}
	defer conn.Close()
	f := &flushing{querier: conn, conn: conn, tx: tx}
	tx.flusher, tx.tx = f, f
	committed := false
	defer func() {
		if !committed && f.begun {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK") // a panic goes on after it
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = f.send(ctx, true, true); err != nil {
		return err
	}
	committed = true
	return nil
}

// send sends, in one pipeline: BEGIN if the transaction hasn't begun; if
// writes, the writes held back, then the events, notifications, audit
// entries and change rows deferred (WriteDeferred); then reads; then, if
// commit, COMMIT.
func (f *flushing) send(ctx context.Context, writes, commit bool, reads ...Statement) error {
	if f.err != nil {
		return f.err
	}
	tx := f.tx
	if !f.begun && commit && !(writes && f.holds()) && len(reads) == 0 {
		return nil // nothing was sent, so there is nothing to commit
	}
	var stmts []Statement
	if !f.begun {
		stmts = append(stmts, Statement{Name: "begin transaction", Query: "BEGIN"})
	}
	execStart := len(stmts)
	var execs []deferredExec
	if writes {
		execs, f.execs = f.execs, nil
		for _, e := range execs {
			stmts = append(stmts, Statement{Name: e.name, Query: tx.query(e.name), Args: e.args})
		}
		if tx.hasDeferred() {
			stmts = append(stmts, tx.writeDeferred())
		}
	}
	stmts = append(stmts, reads...)
	if commit {
		stmts = append(stmts, Statement{Name: "commit", Query: "COMMIT"})
	}
	if len(stmts) == 0 {
		return nil
	}
	f.begun = true
	f.prefetch = nil // a statement sent may change what was read ahead
	err := tx.db.dialect.Pipeline(ctx, f.conn, stmts)
	if err == nil {
		if writes {
			tx.deferredSent()
		}
		return nil
	}
	f.err = tx.pipelineError(stmts, execStart, execs, err)
	return f.err
}

// holds reports whether f holds writes not yet sent.
func (f *flushing) holds() bool {
	return len(f.execs) > 0 || f.tx.hasDeferred()
}

// pipelineError turns the error of the pipeline stmts, whose held writes
// execs begin at execStart, into a keygate error: a held write that found
// no row is keygate.NotFound, as Tx.exec says it at once; else the failed
// statement's error, translated.
func (tx *Tx) pipelineError(stmts []Statement, execStart int, execs []deferredExec, err error) error {
	var pe *PipelineError
	if !errors.As(err, &pe) || pe.Index >= len(stmts) {
		return tx.translate("pipeline", err)
	}
	if i := pe.Index - execStart; i >= 0 && i < len(execs) {
		if e := execs[i]; e.notFoundID != "" && tx.db.dialect.IsDivisionByZero(pe.Err) {
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

// scanFunc is a pipeline's row scanner as a scanner.
type scanFunc func(dest ...any) error

// Scan implements scanner.
func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// prefetched is the active destinations of an account, read ahead with a
// key of that account (findAPIKeyPipelined) for the event its change will
// make (FindNotificationSettings).
type prefetched struct {
	accountID string
	settings  []*keygate.NotificationSetting
}

// findAPIKeyPipelined reads key id for update, with the active
// destinations of its account, in one round trip (with BEGIN and the
// writes held back before it, if any).
func (tx *Tx) findAPIKeyPipelined(ctx context.Context, name, id string) (*keygate.APIKey, error) {
	var k *keygate.APIKey
	var settings []*keygate.NotificationSetting
	stmts := []Statement{{Name: name, Query: tx.query(name), Args: []any{id}, Scan: func(scan func(...any) error) (err error) {
		k, err = tx.scanAPIKey(scanFunc(scan))
		return err
	}}}
	const ahead = "PrefetchNotificationSettings"
	q, prefetch := tx.db.dialect.Queries[ahead]
	if prefetch {
		stmts = append(stmts, Statement{Name: ahead, Query: q, Args: []any{id, keygate.MaxPageSize}, Scan: func(scan func(...any) error) error {
			s, err := scanNotificationSetting(scanFunc(scan))
			if err == nil {
				settings = append(settings, s)
			}
			return err
		}})
	}
	if err := tx.flusher.send(ctx, true, false, stmts...); err != nil {
		return nil, err
	}
	if k == nil {
		return nil, keygate.NotFound(id)
	}
	if prefetch {
		tx.flusher.prefetch = &prefetched{accountID: k.AccountID, settings: settings}
	}
	return k, nil
}

// takePrefetched returns the destinations read ahead, once, if f asks for
// exactly those (what app's activeSettings asks) and no statement was sent
// since they were read; else nil.
func (tx *Tx) takePrefetched(f keygate.NotificationSettingFilter) []*keygate.NotificationSetting {
	if tx.flusher == nil || tx.flusher.prefetch == nil {
		return nil
	}
	p := tx.flusher.prefetch
	tx.flusher.prefetch = nil
	if f.AccountID != p.accountID || f.Active == nil || !*f.Active || f.TrafficSource != "" ||
		f.After != "" || f.Desc || !f.SkipCount || f.Limit != keygate.MaxPageSize {
		return nil
	}
	if p.settings == nil {
		return []*keygate.NotificationSetting{}
	}
	return p.settings
}

// findOnePipelined is findOne in a pipelined transaction: the read goes in
// one pipeline with what the transaction holds back (and BEGIN, if it is
// the first statement).
func findOnePipelined[T any](tx *Tx, ctx context.Context, name, id string, scan func(scanner) (*T, error), args ...any) (*T, error) {
	var v *T
	read := Statement{Name: name, Query: tx.query(name), Args: args, Scan: func(s func(...any) error) (err error) {
		if v == nil { // the first row, as QueryRow
			v, err = scan(scanFunc(s))
		}
		return err
	}}
	if err := tx.flusher.send(ctx, !tx.db.noFlush[read.Query], false, read); err != nil {
		return nil, err
	}
	if v == nil {
		return nil, keygate.NotFound(id)
	}
	return v, nil
}
