package storetest

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for the schema's administration
	"github.com/stretchr/testify/require"
)

// PostgresURLEnv names the variable that points the tests at a PostgreSQL
// server.
const PostgresURLEnv = "KEYGATE_TEST_POSTGRES_URL"

// PostgresURL returns the test server's URL, or skips tb with a message
// that says how to run it.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(PostgresURLEnv)
	if u == "" {
		tb.Skip(PostgresURLEnv + " is not set; set it (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run the PostgreSQL tests")
	}
	return u
}

// PostgresSchema creates a schema of its own for tb on the test server and
// returns a URL whose connections use it, and the schema's name; the schema
// is dropped when tb ends. It skips tb when no server is configured.
func PostgresSchema(tb testing.TB) (dbURL, schema string) {
	tb.Helper()
	base := PostgresURL(tb)
	admin, err := sql.Open("pgx", base)
	require.NoError(tb, err)
	b := make([]byte, 8)
	rand.Read(b)
	schema = "keygate_test_" + hex.EncodeToString(b)
	_, err = admin.Exec("CREATE SCHEMA " + schema)
	require.NoError(tb, err)
	tb.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	require.NoError(tb, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), schema
}
