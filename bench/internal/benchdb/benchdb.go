// Package benchdb opens the store a bench command measures: SQLite in a
// temporary directory, or PostgreSQL in a schema of its own.
package benchdb

import (
	"context"
	"net/url"
	"os"
	"path/filepath"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/internal/pgschema"
	"github.com/keygate/keygate/postgres"
	"github.com/keygate/keygate/sqlite"
)

// Engine names the engine a bench command runs on: "postgres" when pgURL
// is set, else "sqlite".
func Engine(pgURL string) string {
	if pgURL != "" {
		return "postgres"
	}
	return "sqlite"
}

// Opener returns a function that opens the same store each time (several
// nodes, or a restart), and a cleanup that removes it. name tells the
// directory or schema apart from other commands'.
func Opener(ctx context.Context, pgURL, name string) (open func() (keygate.Store, error), cleanup func(), err error) {
	if pgURL == "" {
		dir, err := os.MkdirTemp("", "keygate-"+name)
		if err != nil {
			return nil, nil, err
		}
		return func() (keygate.Store, error) { return sqlite.Open(ctx, filepath.Join(dir, sqlite.FileName)) },
			func() { os.RemoveAll(dir) }, nil
	}
	dbURL, _, drop, err := pgschema.Create(pgURL, "keygate_"+name)
	if err != nil {
		return nil, nil, err
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		drop()
		return nil, nil, err
	}
	q := u.Query()
	q.Set("application_name", appName(name)) // for ReadCPU
	u.RawQuery = q.Encode()
	dbURL = u.String()
	return func() (keygate.Store, error) { return postgres.Open(ctx, dbURL) }, drop, nil
}
