package sqlstore

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite" // the "sqlite" driver

	"github.com/keygate/keygate"
)

// TestStatementsPreparedOnce checks that a named query run in transactions
// is prepared once, after the first transaction that ran it, and then reused,
// on a writer pool of one connection (where preparing inside the
// transaction would wait for ever for the connection the transaction
// holds); and that a query built at run time is never kept.
func TestStatementsPreparedOnce(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "t.db")
	writer, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	writer.SetMaxOpenConns(1)
	reader, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	_, err = writer.Exec("CREATE TABLE t (n INTEGER)")
	require.NoError(t, err)
	const named, built = "INSERT INTO t (n) VALUES (?)", "SELECT count(*) FROM t WHERE n >= 0"
	db := New(writer, reader, Dialect{Name: "sqlite", Queries: map[string]string{"Insert": named}, PrepareInTx: true})
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()

	var missing []string
	insert := func() {
		require.NoError(t, db.Update(ctx, func(tx keygate.Tx) error {
			q := tx.(*Tx).tx
			if _, err := q.ExecContext(ctx, named, 1); err != nil {
				return err
			}
			var n int
			if err := q.QueryRowContext(ctx, built).Scan(&n); err != nil {
				return err
			}
			missing = q.(*cachedTx).missing
			return nil
		}))
	}
	insert()
	require.Equal(t, []string{named}, missing, "the first use runs unprepared and asks for preparing")
	s, _ := db.writerStmts.get(named)
	require.NotNil(t, s, "prepared once the transaction ended")
	insert()
	require.Empty(t, missing, "the second use finds it prepared")
	s2, _ := db.writerStmts.get(named)
	require.Same(t, s, s2)
	_, ok := db.writerStmts.slots[built]
	require.False(t, ok, "a query that is not named has no slot")
	var n int
	require.NoError(t, reader.QueryRow("SELECT count(*) FROM t").Scan(&n))
	require.Equal(t, 2, n)
}
