// Package pgschema gives a test or a benchmark a PostgreSQL schema of its
// own on a shared server, so that runs never see each other's tables.
package pgschema

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for the schema's administration
)

// Create creates a schema named prefix_<random hex> on the server at base
// and returns a URL whose connections use it, its name, and a function
// that drops it.
func Create(base, prefix string) (dbURL, schema string, drop func(), err error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", "", nil, fmt.Errorf("pgschema: %w", err)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", "", nil, fmt.Errorf("pgschema: %w", err)
	}
	b := make([]byte, 8)
	rand.Read(b)
	schema = prefix + "_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		return "", "", nil, fmt.Errorf("pgschema: create %s: %w", schema, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), schema, func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	}, nil
}
