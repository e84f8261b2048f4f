package sqlstore_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"path/filepath"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
	"modernc.org/sqlite"

	"github.com/keygate/keygate/internal/sqlstore"
)

// beginCounter is SQLite's driver with its transactions counted.
type beginCounter struct {
	sqlite.Driver
	begins atomic.Int64
}

func (d *beginCounter) Open(name string) (driver.Conn, error) {
	c, err := d.Driver.Open(name)
	if err != nil {
		return nil, err
	}
	return &countedConn{c.(countable), d}, nil
}

// countable is what database/sql needs of a connection here.
type countable interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ExecerContext
	driver.QueryerContext
}

type countedConn struct {
	countable
	d *beginCounter
}

func (c *countedConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	c.d.begins.Add(1)
	return c.countable.BeginTx(ctx, opts)
}

var counting = &beginCounter{}

func init() { sql.Register("sqlite-counting", counting) }

// TestMigrateSkipsRecordedInOneTransaction checks that migrating a database
// that has every migration already takes one transaction (the schema
// check), not one per file: a start spends no more on migrations than that.
func TestMigrateSkipsRecordedInOneTransaction(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite-counting", "file:"+filepath.Join(t.TempDir(), "m.db"))
	require.NoError(t, err)
	defer db.Close()
	db.SetMaxOpenConns(1)
	files := fstest.MapFS{
		"m/0001_a.up.sql": {Data: []byte(`CREATE TABLE a (x INTEGER)`)},
		"m/0002_b.up.sql": {Data: []byte(`CREATE TABLE b (x INTEGER)`)},
		"m/0003_c.up.sql": {Data: []byte(`CREATE TABLE c (x INTEGER)`)},
	}

	before := counting.begins.Load()
	applied, err := sqlstore.Migrate(ctx, db, files, "m", "")
	require.NoError(t, err)
	require.Equal(t, []string{"0001_a", "0002_b", "0003_c"}, applied)
	require.Equal(t, int64(4), counting.begins.Load()-before, "the check, then one transaction per file to apply")

	files["m/0004_d.up.sql"] = &fstest.MapFile{Data: []byte(`CREATE TABLE d (x INTEGER)`)}
	before = counting.begins.Load()
	applied, err = sqlstore.Migrate(ctx, db, files, "m", "")
	require.NoError(t, err)
	require.Equal(t, []string{"0004_d"}, applied)
	require.Equal(t, int64(2), counting.begins.Load()-before, "the check, then the new file only")

	before = counting.begins.Load()
	applied, err = sqlstore.Migrate(ctx, db, files, "m", "")
	require.NoError(t, err)
	require.Empty(t, applied)
	require.Equal(t, int64(1), counting.begins.Load()-before, "nothing to apply: the check only")
	var n int
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n))
	require.Equal(t, 4, n)
}
