package storetest

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate/internal/pgschema"
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
	dbURL, schema, drop, err := pgschema.Create(PostgresURL(tb), "keygate_test")
	require.NoError(tb, err)
	tb.Cleanup(drop)
	return dbURL, schema
}
