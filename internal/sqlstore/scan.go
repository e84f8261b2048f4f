package sqlstore

import (
	"database/sql"
	"encoding/json"
	"time"
)

// scanner is what *sql.Row and *sql.Rows have in common.
type scanner interface {
	Scan(dest ...any) error
}

// utc returns t in UTC: times are stored and compared in UTC only, which
// keeps SQLite's textual times in lexical order.
func utc(t time.Time) time.Time { return t.UTC() }

// nullTime returns t for a nullable time column.
func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

// timePtr returns a scanned nullable time.
func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

// nullString returns s for a nullable text column.
func nullString(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

// stringPtr returns a scanned nullable string.
func stringPtr(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	return &s.String
}

// jsonList returns a JSON array of vs for a query's list filter, or nil
// (SQL NULL, "no filter") when vs is empty.
func jsonList[T ~string](vs []T) any {
	if len(vs) == 0 {
		return nil
	}
	b, _ := json.Marshal(vs) // a slice of strings always marshals
	return string(b)
}

// collect scans every row of rows with scan.
func collect[T any](rows *sql.Rows, scan func(scanner) (*T, error)) ([]*T, error) {
	defer rows.Close()
	var out []*T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
