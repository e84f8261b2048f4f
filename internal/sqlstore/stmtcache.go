package sqlstore

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache holds a pool's prepared statements, one per named query,
// prepared on first use and kept until the store closes. Transactions run
// them through sql.Tx.StmtContext, which reuses the statement already
// prepared on the transaction's connection: SQLite then parses each query
// once per connection instead of once per use (parsing was a fifth of the
// CPU of making and delivering events). Only the dialect's named queries
// have a slot, so a query built at run time is never kept.
type stmtCache struct {
	pool  *sql.DB
	slots map[string]*stmtSlot // by query text
}

// stmtSlot is one query's statement, nil until prepared.
type stmtSlot struct {
	mu   sync.Mutex
	stmt *sql.Stmt
}

// newStmtCache returns a cache for pool with a slot for each of queries.
func newStmtCache(pool *sql.DB, queries map[string]string) *stmtCache {
	c := &stmtCache{pool: pool, slots: make(map[string]*stmtSlot, len(queries))}
	for _, q := range queries {
		c.slots[q] = &stmtSlot{}
	}
	return c
}

// get returns query's prepared statement; nil if the query has no slot,
// or is not prepared yet: it then runs unprepared, and the transaction
// prepares it once it ends (prepare), since preparing through the pool
// while the transaction holds its connection would wait for ever on
// SQLite's one writer connection.
func (c *stmtCache) get(query string) (stmt *sql.Stmt, missing bool) {
	slot, ok := c.slots[query]
	if !ok {
		return nil, false
	}
	slot.mu.Lock()
	defer slot.mu.Unlock()
	return slot.stmt, slot.stmt == nil
}

// prepare prepares queries, those not prepared yet; one that can't be is
// tried again the next time it is missing. The slot is not locked while
// preparing: that waits for a connection, which a transaction waiting for
// the slot may hold.
func (c *stmtCache) prepare(ctx context.Context, queries []string) {
	for _, q := range queries {
		if s, missing := c.get(q); s != nil || !missing {
			continue
		}
		s, err := c.pool.PrepareContext(ctx, q)
		if err != nil {
			continue
		}
		slot := c.slots[q]
		slot.mu.Lock()
		if slot.stmt == nil {
			slot.stmt, s = s, nil
		}
		slot.mu.Unlock()
		if s != nil { // prepared meanwhile by another transaction
			s.Close()
		}
	}
}

// close closes the prepared statements.
func (c *stmtCache) close() {
	for _, slot := range c.slots {
		slot.mu.Lock()
		if slot.stmt != nil {
			slot.stmt.Close()
			slot.stmt = nil
		}
		slot.mu.Unlock()
	}
}

// cachedTx runs a transaction's statements prepared, from cache, and notes
// the queries not prepared yet.
type cachedTx struct {
	tx      *sql.Tx
	cache   *stmtCache
	missing []string
}

// stmt returns query's statement in the transaction, or nil to run it
// unprepared.
func (t *cachedTx) stmt(ctx context.Context, query string) *sql.Stmt {
	s, missing := t.cache.get(query)
	if missing {
		t.missing = append(t.missing, query)
	}
	if s == nil {
		return nil
	}
	return t.tx.StmtContext(ctx, s)
}

func (t *cachedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := t.stmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

func (t *cachedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := t.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

func (t *cachedTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := t.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}
