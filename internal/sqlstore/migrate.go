package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"
)

// versionPattern is the shape of a migration's version; being this strict
// lets the version be written into SQL literally, with no placeholder, which
// the two engines spell differently.
var versionPattern = regexp.MustCompile(`^[0-9]{4}_[a-z0-9_]+$`)

// Migrate applies, in lexical order, every NNNN_name.up.sql file under dir
// of fsys that is not yet recorded in schema_migrations. Each file runs in a
// transaction of its own, together with its record, so a failed migration
// leaves nothing half-applied. lock is run first in every transaction to
// serialise processes that migrate the same database at once (PostgreSQL
// takes an advisory lock; SQLite's immediate transactions already are
// exclusive, so it passes ""). Migrations are forward-only.
func Migrate(ctx context.Context, db *sql.DB, fsys fs.FS, dir, lock string) (applied []string, err error) {
	files, err := fs.Glob(fsys, dir+"/*.up.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	recorded, err := checkSchemaVersion(ctx, db, files, lock)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		version := strings.TrimSuffix(path.Base(f), ".up.sql")
		if !versionPattern.MatchString(version) {
			return applied, fmt.Errorf("migration file %s: name must be NNNN_name.up.sql", f)
		}
		if recorded[version] {
			// Recorded migrations stay recorded: no transaction of its own
			// is needed to skip it, which spares every start one per file.
			continue
		}
		ok, err := migrateFile(ctx, db, fsys, f, version, lock)
		if err != nil {
			return applied, fmt.Errorf("migration %s: %w", version, err)
		}
		if ok {
			applied = append(applied, version)
		}
	}
	return applied, nil
}

// createMigrations makes the table of applied migrations.
const createMigrations = `CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`

// migrateFile applies one migration unless it is recorded already, and
// reports whether it applied it.
func migrateFile(ctx context.Context, db *sql.DB, fsys fs.FS, file, version, lock string) (bool, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if lock != "" {
		if _, err := tx.ExecContext(ctx, lock); err != nil {
			return false, fmt.Errorf("lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, createMigrations); err != nil {
		return false, err
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = '`+version+`'`).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	body, err := fs.ReadFile(fsys, file)
	if err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return false, err
	}
	record := `INSERT INTO schema_migrations (version, applied_at) VALUES ('` + version + `', '` + time.Now().UTC().Format(time.RFC3339) + `')`
	if _, err := tx.ExecContext(ctx, record); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// SchemaTooNewError is the error of opening a database whose schema has a
// migration this binary does not know: a newer keygate migrated it, and
// this one could misread it.
type SchemaTooNewError struct {
	// Needs is the newest migration recorded in the database that this
	// binary lacks.
	Needs string
	// Knows is the newest migration this binary has.
	Knows string
}

// Error implements error.
func (e *SchemaTooNewError) Error() string {
	return fmt.Sprintf("the database's schema is newer than this keygate: it has migration %s, which this binary lacks (it knows up to %s); run a keygate that has migration %s", e.Needs, e.Knows, e.Needs)
}

// checkSchemaVersion refuses a database with a recorded migration that is
// not among files, and returns the recorded ones. It runs under lock, so it
// does not race with a newer node migrating at the same moment.
func checkSchemaVersion(ctx context.Context, db *sql.DB, files []string, lock string) (map[string]bool, error) {
	known := map[string]bool{}
	var newest string
	for _, f := range files {
		v := strings.TrimSuffix(path.Base(f), ".up.sql")
		known[v] = true
		newest = max(newest, v)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if lock != "" {
		if _, err := tx.ExecContext(ctx, lock); err != nil {
			return nil, fmt.Errorf("lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, createMigrations); err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	recorded := map[string]bool{}
	var needs string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		recorded[v] = true
		if !known[v] {
			needs = max(needs, v)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if needs != "" {
		return nil, &SchemaTooNewError{Needs: needs, Knows: newest}
	}
	return recorded, tx.Commit()
}
