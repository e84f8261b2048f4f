// Package postgres is keygate's store for running many stateless nodes:
// keygate.Store on PostgreSQL, through pgx.
//
// This package holds only what is PostgreSQL's own: the open sequence, the
// migrations and the queries. The Go code that runs them is shared with the
// sqlite package in internal/sqlstore.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/keygate/keygate/internal/sqlstore"
)

//go:embed migrations/*.sql queries/*.sql
var files embed.FS

// migrationLock serialises nodes that start together on one database: it
// takes a transaction-scoped advisory lock named after the schema, so
// isolated schemas (as in tests) do not wait for each other.
const migrationLock = `SELECT pg_advisory_xact_lock(hashtext('keygate-migrate:' || current_schema()))`

// MaxConns is the size of a node's connection pool.
const MaxConns = 20

// DB is a keygate.Store on PostgreSQL.
type DB struct {
	*sqlstore.DB
	// Applied lists the migrations Open applied, oldest first.
	Applied []string
	// ListenURL, if set before ChangeNotices, is where the LISTEN
	// connection goes instead of the pool's URL (tests cut it alone).
	ListenURL string
	// Logger receives the LISTEN connection's failures; none if nil.
	Logger *slog.Logger
	// ListenErrors counts the LISTEN connection's failures.
	ListenErrors atomic.Int64
	url          string
	// prunedAt is when AddRequestCounts last deleted old counts (Unix
	// nanoseconds of its now).
	prunedAt atomic.Int64
}

// Open connects to the database at url (postgres://…; any libpq parameter,
// such as search_path, may be given in it) and applies any pending
// migrations.
func Open(ctx context.Context, url string) (*DB, error) {
	queries, err := sqlstore.LoadQueries(files, "queries")
	if err != nil {
		return nil, err
	}
	pool, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	pool.SetMaxOpenConns(MaxConns)
	pool.SetMaxIdleConns(MaxConns)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	db := &DB{url: url, DB: sqlstore.New(pool, pool, sqlstore.Dialect{
		Name: "postgres", Queries: queries, IsUniqueViolation: isUniqueViolation, IsDivisionByZero: isDivisionByZero,
		Pipeline: pipeline,
	})}
	if db.Applied, err = sqlstore.Migrate(ctx, pool, files, "migrations", migrationLock); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return db, nil
}

// isUniqueViolation reports whether err is SQLSTATE 23505, unique_violation.
func isUniqueViolation(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505"
}

// isDivisionByZero reports whether err is SQLSTATE 22012, division_by_zero:
// a strict query found no row (queries/api_key.sql, UpdateAPIKeyStrict).
func isDivisionByZero(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "22012"
}
