package postgres_test

import (
	"bytes"
	"context"
	"database/sql"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/internal/sqlstore"
	"github.com/keygate/keygate/postgres"
	"github.com/keygate/keygate/storetest"
)

// schemaDB is a store isolated in a schema of its own.
type schemaDB struct {
	*postgres.DB
	schema string
	url    string
}

// MustOpenDB opens a store in a new schema of the test server, dropped when
// tb ends.
func MustOpenDB(tb testing.TB) *schemaDB {
	tb.Helper()
	u, schema := storetest.PostgresSchema(tb)
	db, err := postgres.Open(context.Background(), u)
	require.NoError(tb, err)
	tb.Cleanup(func() { db.Close() })
	return &schemaDB{DB: db, schema: schema, url: u}
}

func TestConformance(t *testing.T) {
	storetest.PostgresURL(t)
	storetest.Run(t, storetest.Harness{
		Open: func(tb testing.TB) keygate.Store { return MustOpenDB(tb) },
		Dump: dump,
	})
}

// dump returns every row of every table of the store's schema as JSON.
func dump(tb testing.TB, s keygate.Store) []byte {
	tb.Helper()
	db := s.(*schemaDB)
	admin, err := sql.Open("pgx", db.url)
	require.NoError(tb, err)
	defer admin.Close()
	rows, err := admin.Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1`, db.schema)
	require.NoError(tb, err)
	var tables []string
	for rows.Next() {
		var name string
		require.NoError(tb, rows.Scan(&name))
		tables = append(tables, name)
	}
	require.NoError(tb, rows.Err())
	require.Contains(tb, tables, "api_keys")
	var out bytes.Buffer
	for _, table := range tables {
		rows, err := admin.Query(`SELECT row_to_json(t)::text FROM ` + db.schema + `.` + table + ` t`)
		require.NoError(tb, err)
		for rows.Next() {
			var row string
			require.NoError(tb, rows.Scan(&row))
			out.WriteString(row + "\n")
		}
		require.NoError(tb, rows.Err())
	}
	return out.Bytes()
}

func TestOpen(t *testing.T) {
	t.Parallel()
	db := MustOpenDB(t)
	require.Equal(t, migrationFiles(t), db.Applied)

	// A second node starting on the same database applies nothing.
	again, err := postgres.Open(context.Background(), db.url)
	require.NoError(t, err)
	defer again.Close()
	require.Empty(t, again.Applied)
}

func TestOpenUnreachable(t *testing.T) {
	t.Parallel()
	_, err := postgres.Open(context.Background(), "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	require.Error(t, err)
}

// TestOpenConcurrent starts many nodes on one new database at once: the
// migration lock lets each migration run exactly once, and every node
// starts.
func TestOpenConcurrent(t *testing.T) {
	t.Parallel()
	u, _ := storetest.PostgresSchema(t)
	const nodes = 6
	var wg sync.WaitGroup
	applied := make([][]string, nodes)
	errs := make([]error, nodes)
	for i := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := postgres.Open(context.Background(), u)
			if err == nil {
				applied[i] = db.Applied
				db.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	count := map[string]int{}
	for i := range nodes {
		require.NoError(t, errs[i], "node %d", i)
		for _, v := range applied[i] {
			count[v]++
		}
	}
	files, err := fs.Glob(os.DirFS("migrations"), "*.up.sql")
	require.NoError(t, err)
	require.Len(t, count, len(files), "every migration applied")
	for v, n := range count {
		require.Equal(t, 1, n, "migration %s applied by %d nodes", v, n)
	}
}

// TestOpenSchemaTooNew refuses to start a node whose binary is older than
// the database's schema, naming the migration it needs.
func TestOpenSchemaTooNew(t *testing.T) {
	t.Parallel()
	db := MustOpenDB(t)
	_, err := db.Writer().Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES ('9999_from_the_future', '2030-01-01T00:00:00Z')`)
	require.NoError(t, err)
	_, err = postgres.Open(context.Background(), db.url)
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

// TestOrphanChangeNumbered checks the sweep behind the change feed's
// numbering: a change committed by a writer that died before numbering it
// (here: a row inserted without its number) is not in the feed, and a
// node following the feed numbers it within seconds.
func TestOrphanChangeNumbered(t *testing.T) {
	t.Parallel()
	db := MustOpenDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var start int64
	require.NoError(t, db.View(ctx, func(tx keygate.Tx) (err error) {
		start, err = tx.LastChangeSeq(ctx)
		return err
	}))
	_, err := db.Writer().ExecContext(ctx, `INSERT INTO credential_changes (credential_id, changed_at) VALUES ('apikey_orphan', now())`)
	require.NoError(t, err)
	feed := func() []keygate.Change {
		var changes []keygate.Change
		require.NoError(t, db.View(ctx, func(tx keygate.Tx) (err error) {
			changes, err = tx.FindChanges(ctx, start, 10)
			return err
		}))
		return changes
	}
	require.Empty(t, feed(), "unnumbered: not yet in the feed")
	db.ChangeNotices(ctx, nil) // what a following node runs, with its sweep
	require.Eventually(t, func() bool {
		c := feed()
		return len(c) == 1 && c[0].CredentialID == "apikey_orphan" && c[0].Seq > start
	}, 15*time.Second, 50*time.Millisecond)
}
