package postgres_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/postgres"
	"github.com/keygate/keygate/storetest"
)

// testURL returns the server to test against, or skips the test.
func testURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv("KEYGATE_TEST_POSTGRES_URL")
	if u == "" {
		tb.Skip("KEYGATE_TEST_POSTGRES_URL is not set; set it (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run the PostgreSQL tests")
	}
	return u
}

// schemaDB is a store isolated in a schema of its own.
type schemaDB struct {
	*postgres.DB
	schema string
	admin  *sql.DB
}

// MustOpenDB opens a store in a new schema of the test server, dropped when
// tb ends.
func MustOpenDB(tb testing.TB) *schemaDB {
	tb.Helper()
	base := testURL(tb)
	admin, err := sql.Open("pgx", base)
	require.NoError(tb, err)
	b := make([]byte, 8)
	rand.Read(b)
	schema := "keygate_test_" + hex.EncodeToString(b)
	_, err = admin.Exec("CREATE SCHEMA " + schema)
	require.NoError(tb, err)

	u, err := url.Parse(base)
	require.NoError(tb, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := postgres.Open(context.Background(), u.String())
	require.NoError(tb, err)
	tb.Cleanup(func() {
		db.Close()
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	return &schemaDB{DB: db, schema: schema, admin: admin}
}

func TestConformance(t *testing.T) {
	testURL(t)
	storetest.Run(t, storetest.Harness{
		Open: func(tb testing.TB) keygate.Store { return MustOpenDB(tb) },
		Dump: dump,
	})
}

// dump returns every row of every table of the store's schema as JSON.
func dump(tb testing.TB, s keygate.Store) []byte {
	tb.Helper()
	db := s.(*schemaDB)
	rows, err := db.admin.Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1`, db.schema)
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
		rows, err := db.admin.Query(`SELECT row_to_json(t)::text FROM ` + db.schema + `.` + table + ` t`)
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
	require.Equal(t, []string{"0001_init"}, db.Applied)

	// A second node starting on the same database applies nothing.
	var path string
	require.NoError(t, db.admin.QueryRow(`SELECT current_setting('search_path')`).Scan(&path))
	u, _ := url.Parse(testURL(t))
	q := u.Query()
	q.Set("search_path", db.schema)
	u.RawQuery = q.Encode()
	again, err := postgres.Open(context.Background(), u.String())
	require.NoError(t, err)
	defer again.Close()
	require.Empty(t, again.Applied)
}

func TestOpenUnreachable(t *testing.T) {
	t.Parallel()
	_, err := postgres.Open(context.Background(), "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	require.Error(t, err)
}
