package postgres

import (
	"cmp"
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/keygate/keygate"
)

// changeChannel is the channel NotifyChange and the numbering of the feed
// publish on; the payload is the schema, so that stores in different
// schemas of one database (as in tests) ignore each other's notices.
const changeChannel = "keygate_changes"

// changedChannel is the channel the numbering of the feed also publishes on
// first, with the schema and then the entity IDs of the credentials it
// numbered, separated by spaces (unless they would not fit in a notice), so
// that a node forgets them without waiting for its read of the feed. It is
// a channel of its own so that nodes of an older version, which take a
// notice on changeChannel whose payload is not exactly their schema as
// another schema's, keep their notices while a cluster is upgraded.
const changedChannel = "keygate_changed_ids"

var _ keygate.ChangeNotifier = (*DB)(nil)

// ChangeNotices implements keygate.ChangeNotifier with LISTEN on a
// connection of its own. After every (re)connection it sends one notice
// too, since changes committed while it was away were not announced. A
// failure of the connection is logged once (to Logger), until it is back,
// and counted in ListenErrors.
func (db *DB) ChangeNotices(ctx context.Context, changed func(credentialIDs []string)) <-chan struct{} {
	ch := make(chan struct{}, 1)
	go db.sweep(ctx)
	go func() {
		backoff := 100 * time.Millisecond
		failing := false
		for ctx.Err() == nil {
			start := time.Now()
			err := db.listenOnce(ctx, ch, changed, func() {
				if failing {
					db.logger().Info("postgres: LISTEN connection back; changes are pushed again")
					failing = false
				}
			})
			if ctx.Err() != nil {
				return
			}
			db.ListenErrors.Add(1)
			if !failing {
				db.logger().Error("postgres: LISTEN connection failed; changes arrive by polling until it is back", "err", err)
				failing = true
			}
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

// logger returns Logger, or a logger that discards.
func (db *DB) logger() *slog.Logger {
	if db.Logger != nil {
		return db.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// listenOnce listens until the connection fails or ctx ends, and returns
// why; it calls up once it listens.
func (db *DB) listenOnce(ctx context.Context, ch chan<- struct{}, changed func([]string), up func()) error {
	conn, err := pgx.Connect(ctx, cmp.Or(db.ListenURL, db.url))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	var schema string
	if err := conn.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+changeChannel+"; LISTEN "+changedChannel); err != nil {
		return err
	}
	up()
	notify(ch)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		switch {
		case n.Channel == changeChannel && n.Payload == schema:
			notify(ch)
		case n.Channel == changedChannel && changed != nil:
			if ids, ok := strings.CutPrefix(n.Payload, schema+" "); ok {
				changed(strings.Fields(ids))
			}
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
// one numbered and audit entries no one chained (a writer died between
// its commit and their numbering or chaining).
const sweepInterval = 2 * time.Second

// sweep numbers orphaned changes and chains orphaned audit entries until
// ctx ends: SweepChanges and SweepAudit, every sweepInterval. A change a
// writer committed is then in the feed, and its audit entry chained,
// within about that long even if the writer died at once.
func (db *DB) sweep(ctx context.Context) {
	t := time.NewTicker(sweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			// An error is a database away: the next tick tries again.
			db.SweepChanges(ctx)
			db.SweepAudit(ctx)
		}
	}
}
