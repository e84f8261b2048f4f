package postgres

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/keygate/keygate/internal/sqlstore"
)

// pipeline sends stmts on conn in one round trip (pgx's batch: each
// statement's Parse, Bind and Execute, then one Sync), for
// sqlstore.Dialect.Pipeline. The server runs them in order and stops at the
// first that fails; so does pipeline, whose error says which.
func pipeline(ctx context.Context, conn *sql.Conn, stmts []sqlstore.Statement) error {
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("postgres: pipeline on a %T", dc)
		}
		ran := 0
		b := &pgx.Batch{}
		for _, s := range stmts {
			q := b.Queue(s.Query, s.Args...)
			if s.Scan != nil {
				q.Query(func(rows pgx.Rows) error {
					for rows.Next() {
						if err := s.Scan(rows.Scan); err != nil {
							return err
						}
					}
					if err := rows.Err(); err != nil {
						return err
					}
					ran++
					return nil
				})
				continue
			}
			q.Exec(func(tag pgconn.CommandTag) error {
				if s.Query == "COMMIT" && tag.String() != "COMMIT" {
					// The transaction had failed before: the server rolled it back.
					return fmt.Errorf("postgres: commit answered %q", tag.String())
				}
				ran++
				return nil
			})
		}
		if err := c.Conn().SendBatch(ctx, b).Close(); err != nil && ran < len(stmts) {
			// (With every statement done, COMMIT's included, what failed is
			// the end of the exchange: the transaction is committed.)
			return &sqlstore.PipelineError{Index: ran, Err: err}
		}
		return nil
	})
}
