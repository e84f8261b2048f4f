package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/internal/sqlstore"
	"github.com/keygate/keygate/sqlite"
	"github.com/keygate/keygate/storetest"
)

// MustOpenDB opens a new database in a temporary directory, closed when tb
// ends.
func MustOpenDB(tb testing.TB) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), sqlite.FileName))
	require.NoError(tb, err)
	tb.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		Open: func(tb testing.TB) keygate.Store { return MustOpenDB(tb) },
		Dump: dump,
	})
}

// dump returns the bytes of every file of the database: the main file, the
// write-ahead log and its index, where recent writes live until a
// checkpoint.
func dump(tb testing.TB, s keygate.Store) []byte {
	tb.Helper()
	db := s.(*sqlite.DB)
	var out []byte
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(db.Path + suffix)
		if os.IsNotExist(err) {
			continue
		}
		require.NoError(tb, err)
		out = append(out, b...)
	}
	return out
}

func TestOpen(t *testing.T) {
	t.Parallel()
	t.Run("MigratesOnce", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "nested", "dir", sqlite.FileName)
		db, err := sqlite.Open(context.Background(), path)
		require.NoError(t, err)
		require.Equal(t, migrationFiles(t), db.Applied)
		require.NoError(t, db.Close())

		db, err = sqlite.Open(context.Background(), path)
		require.NoError(t, err)
		defer db.Close()
		require.Empty(t, db.Applied, "a second open applies nothing")
	})
	t.Run("Pragmas", func(t *testing.T) {
		db := MustOpenDB(t)
		for pragma, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "synchronous": "1", "busy_timeout": "10000"} {
			var got string
			require.NoError(t, db.Writer().QueryRow("PRAGMA "+pragma).Scan(&got))
			require.Equal(t, want, got, pragma)
		}
	})
	t.Run("ErrUnwritableDirectory", func(t *testing.T) {
		dir := t.TempDir()
		file := filepath.Join(dir, "file")
		require.NoError(t, os.WriteFile(file, nil, 0o600))
		_, err := sqlite.Open(context.Background(), filepath.Join(file, sqlite.FileName))
		require.Error(t, err)
	})
}

// TestOpenSchemaTooNew refuses a database migrated by a newer keygate,
// naming the migration this binary lacks.
func TestOpenSchemaTooNew(t *testing.T) {
	t.Parallel()
	db := MustOpenDB(t)
	_, err := db.Writer().Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES ('9999_from_the_future', '2030-01-01T00:00:00Z')`)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	_, err = sqlite.Open(context.Background(), db.Path)
	var tooNew *sqlstore.SchemaTooNewError
	require.ErrorAs(t, err, &tooNew)
	require.Equal(t, "9999_from_the_future", tooNew.Needs)
	require.ErrorContains(t, err, "run a keygate that has migration 9999_from_the_future")
}

// migrationFiles returns the versions of every migration file, in order.
func migrationFiles(t *testing.T) []string {
	files, err := filepath.Glob("migrations/*.up.sql")
	require.NoError(t, err)
	var out []string
	for _, f := range files {
		out = append(out, strings.TrimSuffix(filepath.Base(f), ".up.sql"))
	}
	require.Contains(t, out, "0008_magic")
	return out
}
