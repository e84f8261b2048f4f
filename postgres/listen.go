package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// changeChannel is the channel NotifyChange publishes on; the payload is the
// schema, so that stores in different schemas of one database (as in tests)
// ignore each other's notices.
const changeChannel = "keygate_changes"

var _ interface {
	ChangeNotices(context.Context) <-chan struct{}
} = (*DB)(nil)

// ChangeNotices implements keygate.ChangeNotifier with LISTEN on a
// connection of its own. After every (re)connection it sends one notice
// too, since changes committed while it was away were not announced.
func (db *DB) ChangeNotices(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	go db.sweep(ctx)
	go func() {
		backoff := 100 * time.Millisecond
		for ctx.Err() == nil {
			start := time.Now()
			db.listenOnce(ctx, ch)
			if time.Since(start) > time.Minute {
				backoff = 100 * time.Millisecond
			}
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 5*time.Second)
		}
	}()
	return ch
}

// listenOnce listens until the connection fails or ctx ends.
func (db *DB) listenOnce(ctx context.Context, ch chan<- struct{}) {
	conn, err := pgx.Connect(ctx, db.url)
	if err != nil {
		return
	}
	defer conn.Close(context.Background())
	var schema string
	if err := conn.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return
	}
	if _, err := conn.Exec(ctx, "LISTEN "+changeChannel); err != nil {
		return
	}
	notify(ch)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return
		}
		if n.Payload == schema {
			notify(ch)
		}
	}
}

// notify sends a notice unless one is already waiting.
func notify(ch chan<- struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// sweepInterval is how often a node looks for committed changes that no
// one numbered (a writer died between its commit and its numbering).
const sweepInterval = 2 * time.Second

// sweep numbers orphaned changes until ctx ends: SweepChanges, every
// sweepInterval. A change a writer committed is then in the feed within
// about that long even if the writer died at once.
func (db *DB) sweep(ctx context.Context) {
	t := time.NewTicker(sweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			db.SweepChanges(ctx) // an error is a database away: the next tick tries again
		}
	}
}
