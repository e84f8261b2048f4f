package sqlstore_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate/internal/sqlstore"
)

// allRequired returns a query file that defines every required query, with
// FindAPIKeys as a list query.
func allRequired(extra string) string {
	var names []string
	for _, n := range sqlstore.RequiredQueries {
		if n != "FindAPIKeys" {
			names = append(names, n)
		}
	}
	var b strings.Builder
	for _, n := range names {
		b.WriteString("-- name: " + n + "\nSELECT 1;\n\n")
	}
	b.WriteString("-- name: FindAPIKeys\n-- a comment inside\nSELECT id FROM t WHERE id {{cmp}} ?1\nORDER BY id {{dir}};\n")
	return b.String() + extra
}

func TestLoadQueries(t *testing.T) {
	t.Parallel()
	t.Run("OK", func(t *testing.T) {
		q, err := sqlstore.LoadQueries(fstest.MapFS{"q/a.sql": {Data: []byte(allRequired(""))}}, "q")
		require.NoError(t, err)
		require.Equal(t, "SELECT id FROM t WHERE id > ?1\nORDER BY id ASC", q["FindAPIKeysAsc"])
		require.Equal(t, "SELECT id FROM t WHERE id < ?1\nORDER BY id DESC", q["FindAPIKeysDesc"])
		require.NotContains(t, q, "FindAPIKeys")
		require.Equal(t, "SELECT 1", q["CreateAccount"])
	})
	t.Run("ErrDuplicate", func(t *testing.T) {
		_, err := sqlstore.LoadQueries(fstest.MapFS{
			"q/a.sql": {Data: []byte(allRequired(""))},
			"q/b.sql": {Data: []byte("-- name: CreateUser\nSELECT 2;\n")},
		}, "q")
		require.ErrorContains(t, err, "query CreateUser defined twice")
	})
	t.Run("ErrMissing", func(t *testing.T) {
		_, err := sqlstore.LoadQueries(fstest.MapFS{"q/a.sql": {Data: []byte("-- name: CreateUser\nSELECT 1;\n")}}, "q")
		require.ErrorContains(t, err, "is not defined under q")
	})
}
