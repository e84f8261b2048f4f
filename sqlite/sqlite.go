// Package sqlite is keygate's embedded store: keygate.Store on a SQLite
// database file, through the pure-Go modernc.org/sqlite driver (no cgo).
//
// This package holds only what is SQLite's own: the open sequence, the
// migrations and the queries. The Go code that runs them is shared with the
// postgres package in internal/sqlstore.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/keygate/keygate/internal/sqlstore"
)

//go:embed migrations/*.sql queries/*.sql
var files embed.FS

// FileName is the database's file name inside the data directory.
const FileName = "keygate.db"

// DB is a keygate.Store on a SQLite file.
type DB struct {
	*sqlstore.DB
	// Path is the database file.
	Path string
	// Applied lists the migrations Open applied, oldest first.
	Applied []string
}

// LocalReads reports that the store's reads run in this process, on a
// file: none waits on a connection that could hang, and each honours its
// context (auth reads a cache miss on the request's goroutine).
func (db *DB) LocalReads() bool { return true }

// Open opens (creating if needed) the database at path and applies any
// pending migrations.
//
// The connection sequence is the one SQLite's documentation recommends for
// a server: a 10 s busy timeout first, then WAL, foreign keys on, and
// synchronous=NORMAL (durable in WAL mode across application crashes).
// Writes go through a pool of one connection that begins IMMEDIATE
// transactions, so writers queue in Go instead of failing with SQLITE_BUSY;
// reads use a separate pool that WAL lets run beside the writer.
func Open(ctx context.Context, path string) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("sqlite: create data directory: %w", err)
		}
	}
	queries, err := sqlstore.LoadQueries(files, "queries")
	if err != nil {
		return nil, err
	}
	writer, err := openPool(path, "immediate", 1)
	if err != nil {
		return nil, err
	}
	reader, err := openPool(path, "deferred", max(4, runtime.NumCPU()))
	if err != nil {
		writer.Close()
		return nil, err
	}
	db := &DB{Path: path, DB: sqlstore.New(writer, reader, sqlstore.Dialect{
		Name: "sqlite", Queries: queries, IsUniqueViolation: isUniqueViolation, PrepareInTx: true,
	})}
	if db.Applied, err = sqlstore.Migrate(ctx, writer, files, "migrations", ""); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return db, nil
}

// openPool opens a pool on path whose transactions begin with txlock.
func openPool(path, txlock string, conns int) (*sql.DB, error) {
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	q.Set("_time_format", "sqlite")
	q.Set("_txlock", txlock)
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxLifetime(0)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return db, nil
}

// isUniqueViolation reports whether err is a UNIQUE or PRIMARY KEY
// constraint failure, by SQLite's extended result code.
func isUniqueViolation(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// SchemaVersion returns the name of the newest migration this binary
// carries (both engines carry the same names), e.g. "0011_key_prefix".
func SchemaVersion() string {
	names, _ := fs.Glob(files, "migrations/*.up.sql")
	if len(names) == 0 {
		return ""
	}
	sort.Strings(names)
	return strings.TrimSuffix(path.Base(names[len(names)-1]), ".up.sql")
}
