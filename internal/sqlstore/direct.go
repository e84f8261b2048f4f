package sqlstore

import (
	"context"
	"database/sql"

	"github.com/keygate/keygate"
)

// querier is what a Tx runs its statements on: a transaction, or direct
// (the reader pool, statement by statement).
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

var _ keygate.DirectReader = (*DB)(nil)

// ReadDirect implements keygate.DirectReader: fn's statements run on the
// reader pool outside any transaction, as statements that database/sql
// prepares once on each connection and keeps.
func (db *DB) ReadDirect(ctx context.Context, fn func(keygate.Tx) error) error {
	return fn(&Tx{tx: direct{db}, db: db})
}

// direct runs each statement on its own, prepared.
type direct struct{ db *DB }

// prepared returns query prepared on the reader pool, preparing it the
// first time.
func (d direct) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := d.db.stmts.Load(query); ok {
		return s.(*sql.Stmt), nil
	}
	s, err := d.db.reader.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := d.db.stmts.LoadOrStore(query, s); loaded {
		s.Close()
		return prev.(*sql.Stmt), nil
	}
	return s, nil
}

func (d direct) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s, err := d.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

func (d direct) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, err := d.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

// QueryRowContext falls back to an unprepared query if the statement can't
// be prepared: the query then fails (or not) the same way, with its error
// in the Row.
func (d direct) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	s, err := d.prepared(ctx, query)
	if err != nil {
		return d.db.reader.QueryRowContext(ctx, query, args...)
	}
	return s.QueryRowContext(ctx, args...)
}

// closeStmts closes the prepared statements.
func (db *DB) closeStmts() {
	db.stmts.Range(func(k, s any) bool {
		s.(*sql.Stmt).Close()
		db.stmts.Delete(k)
		return true
	})
}
