package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keygate/keygate"
)

var _ keygate.RequestCounter = (*DB)(nil)

// nodeAlive is how recently a node must have shared counts to be counted
// among the nodes alive.
// It is generous, so that a node slow to share (a loaded machine) is still
// counted: counting a dead node a little longer only makes parts smaller.
const nodeAlive = 10 * time.Second

// countsKept is how long past its window a count is kept.
const countsKept = 5 * time.Minute

// addCounts adds a batch of counts and returns the rows' new totals. The
// rows are locked in one order (the batch is sorted), so that nodes adding
// at once can't deadlock.
const addCounts = `
INSERT INTO rate_limit_counts AS r (scope, client_ip, window_start, requests, blocked_until)
SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::bigint[], $5::timestamptz[])
ON CONFLICT (scope, client_ip, window_start) DO UPDATE
SET requests = r.requests + EXCLUDED.requests, blocked_until = GREATEST(r.blocked_until, EXCLUDED.blocked_until)
RETURNING scope, client_ip, window_start, requests, blocked_until`

// heartbeat records a node as alive and counts the nodes alive.
const heartbeat = `
WITH me AS (
    INSERT INTO cluster_nodes (node_id, last_seen) VALUES ($1, $2)
    ON CONFLICT (node_id) DO UPDATE SET last_seen = EXCLUDED.last_seen
)
SELECT count(*) + 1 FROM cluster_nodes WHERE last_seen > $3 AND node_id <> $1`

// pruneEvery is how often a node's AddRequestCounts deletes old counts and
// nodes.
const pruneEvery = 5 * time.Minute

// AddRequestCounts implements keygate.RequestCounter. Every pruneEvery of
// its calls' time it also deletes old counts and nodes.
func (db *DB) AddRequestCounts(ctx context.Context, node string, counts []keygate.RequestCount, now time.Time) ([]keygate.RequestCount, int, error) {
	var nodes int
	if err := db.Writer().QueryRowContext(ctx, heartbeat, node, now.UTC(), now.Add(-nodeAlive).UTC()).Scan(&nodes); err != nil {
		return nil, 0, fmt.Errorf("postgres: heartbeat: %w", err)
	}
	if len(counts) == 0 {
		return nil, nodes, nil
	}
	counts = slices.Clone(counts)
	slices.SortFunc(counts, func(a, b keygate.RequestCount) int {
		return cmp.Or(strings.Compare(a.Scope, b.Scope), strings.Compare(a.Client, b.Client), a.Window.Compare(b.Window))
	})
	scopes, clients := make([]string, len(counts)), make([]string, len(counts))
	windows, blocked := make([]time.Time, len(counts)), make([]time.Time, len(counts))
	requests := make([]int64, len(counts))
	for i, c := range counts {
		scopes[i], clients[i], windows[i], requests[i], blocked[i] = c.Scope, c.Client, c.Window.UTC(), c.Requests, c.BlockedUntil.UTC()
	}
	rows, err := db.Writer().QueryContext(ctx, addCounts, scopes, clients, windows, requests, blocked)
	if err != nil {
		return nil, 0, fmt.Errorf("postgres: add request counts: %w", err)
	}
	defer rows.Close()
	totals := make([]keygate.RequestCount, 0, len(counts))
	for rows.Next() {
		var c keygate.RequestCount
		if err := rows.Scan(&c.Scope, &c.Client, &c.Window, &c.Requests, &c.BlockedUntil); err != nil {
			return nil, 0, fmt.Errorf("postgres: add request counts: %w", err)
		}
		totals = append(totals, c)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("postgres: add request counts: %w", err)
	}
	if last := db.prunedAt.Load(); now.UnixNano()-last >= int64(pruneEvery) && db.prunedAt.CompareAndSwap(last, now.UnixNano()) {
		db.pruneCounts(ctx, now)
	}
	return totals, nodes, nil
}

// keyCountsKept is how long past its start a key's count is kept: a key's
// window is up to an hour long (scope "api_key", see auth's share.go).
const keyCountsKept = 2 * time.Hour

// pruneCounts deletes the counts of windows long past and the nodes not
// seen for an hour; failing, it leaves them for the next time.
func (db *DB) pruneCounts(ctx context.Context, now time.Time) {
	db.Writer().ExecContext(ctx, `DELETE FROM rate_limit_counts WHERE window_start < $1 AND (scope <> 'api_key' OR window_start < $2)`,
		now.Add(-countsKept).UTC(), now.Add(-keyCountsKept).UTC())
	db.Writer().ExecContext(ctx, `DELETE FROM cluster_nodes WHERE last_seen < $1`, now.Add(-time.Hour).UTC())
}
