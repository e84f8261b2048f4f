package notify

import (
	"context"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/credential"
)

// recordBatch is the most attempts one transaction records.
const recordBatch = 64

// attempt is a delivery attempt made, to record; its delivery ends
// (finish) once it is recorded, or could not be.
type attempt struct {
	n   *keygate.Notification
	res result
	at  time.Time
}

// recordLinger is how long gather waits for more attempts to record with
// the first: at a thousand deliveries a second, a millisecond apart, it
// makes a transaction of a few rather than one each.
const recordLinger = 2 * time.Millisecond

// gather hands the attempts to the recorders in batches until the attempts
// channel closes, then closes batches. A batch is what arrives within
// recordLinger of its first attempt, and whatever more arrives while every
// recorder is busy (up to recordBatch): at a thousand deliveries a second,
// one transaction each would be the bottleneck, on SQLite's single writer
// and in PostgreSQL's commits.
func (d *Dispatcher) gather(batches chan<- []attempt) {
	defer close(batches)
	linger := time.NewTimer(recordLinger)
	defer linger.Stop()
	for a := range d.attempts {
		batch := []attempt{a}
		linger.Reset(recordLinger)
		open := true
		for open && len(batch) < recordBatch {
			select {
			case a, ok := <-d.attempts:
				if open = ok; ok {
					batch = append(batch, a)
				}
			case <-linger.C:
				open = false
			}
		}
		d.handOver(batches, batch)
	}
}

// handOver sends batch to a recorder, taking in what arrives meanwhile, up
// to recordBatch.
func (d *Dispatcher) handOver(batches chan<- []attempt, batch []attempt) {
	var attempts <-chan attempt = d.attempts
	for {
		if len(batch) >= recordBatch {
			attempts = nil
		}
		select {
		case batches <- batch:
			return
		case a, ok := <-attempts:
			if !ok {
				attempts = nil
				continue
			}
			batch = append(batch, a)
		}
	}
}

// record records the batches it is handed until the channel closes. An
// attempt is recorded after it was made, so a crash between the two
// redelivers it: the duplicates are bounded by Workers, since a delivery
// holds its worker until it is recorded.
func (d *Dispatcher) record(ctx context.Context, batches <-chan []attempt) {
	for batch := range batches {
		if hook := d.beforeRecord.Load(); hook != nil {
			(*hook)()
		}
		d.recordAll(ctx, batch)
		for range batch {
			d.finish()
		}
	}
}

// recordAll records a batch in one transaction; if that fails, each on its
// own, so that one bad attempt does not lose the others' records.
func (d *Dispatcher) recordAll(ctx context.Context, batch []attempt) {
	err := d.cfg.Store.Update(ctx, func(tx keygate.Tx) error {
		for _, a := range batch {
			if err := d.recordOne(ctx, tx, a); err != nil && keygate.ErrorCode(err) != keygate.CodeNotFound {
				return err
			}
		}
		return nil
	})
	if err == nil {
		return
	}
	for _, a := range batch {
		err := d.cfg.Store.Update(ctx, func(tx keygate.Tx) error { return d.recordOne(ctx, tx, a) })
		if err != nil && keygate.ErrorCode(err) != keygate.CodeNotFound { // not found: the destination was deleted meanwhile
			d.cfg.Logger.Error("record delivery", "notification_id", a.n.ID, "err", err)
		}
	}
}

// recordOne records one attempt: the notification's new state and a log.
func (d *Dispatcher) recordOne(ctx context.Context, tx keygate.Tx, a attempt) error {
	cur, err := tx.FindNotificationByID(ctx, a.n.ID)
	if err != nil {
		return err
	}
	schedule := d.cfg.Schedules[cur.Environment]
	if a.res.final {
		schedule.Retries = 0
	}
	cur.RecordAttempt(a.at, a.res.delivered, schedule)
	if err := tx.UpdateNotification(ctx, cur); err != nil {
		return err
	}
	return tx.CreateNotificationLog(ctx, &keygate.NotificationLog{
		ID: credential.NewID("ntflog", a.at), NotificationID: a.n.ID, AccountID: a.n.AccountID,
		ResponseCode: a.res.code, ResponseContentType: a.res.contentType, ResponseBody: a.res.body, AttemptedAt: a.at,
	})
}

// read runs fn outside a transaction where the store can (one-row reads),
// else in a read-only transaction.
func (d *Dispatcher) read(ctx context.Context, fn func(keygate.Tx) error) error {
	if r, ok := d.cfg.Store.(keygate.DirectReader); ok {
		return r.ReadDirect(ctx, fn)
	}
	return d.cfg.Store.View(ctx, fn)
}
