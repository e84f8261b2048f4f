package auth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/keygate/keygate"
)

// changePage is how many change-feed entries one read takes.
const changePage = 1000

// feedTimeout bounds one read of the change feed, so that a database that
// hangs counts as failing: cached credentials then work for at most
// StaleAfter plus feedTimeout.
const feedTimeout = 2 * time.Second

// StaleAfter is how long the change feed may go unread (a database outage)
// before the cache is dropped whole: past it, the cache could hold changes
// it has not heard of. Until then cached credentials keep working; after,
// every credential answers ErrUnavailable until the feed is read again.
const StaleAfter = 5 * time.Second

// Run follows the change feed and writes last uses until ctx ends, then
// writes the last uses still pending and returns. Records are cached only
// while Run runs. It returns an error only if the feed can't be read at
// start.
func (v *Verifier) Run(ctx context.Context) error {
	var seq int64
	if err := v.cfg.Store.View(ctx, func(tx keygate.Tx) (err error) {
		seq, err = tx.LastChangeSeq(ctx)
		return err
	}); err != nil {
		return fmt.Errorf("auth: read change feed: %w", err)
	}
	v.invalidateAll() // anything loaded before now predates seq
	v.followed.Store(seq)
	v.started.Store(true)
	defer v.started.Store(false)
	if v.systemClock {
		go v.keepTime(ctx)
	}
	if v.cfg.WarmKeys > 0 {
		v.warmOnce.Do(func() { go v.warm(ctx) })
	}

	var notices <-chan struct{}
	if n, ok := v.cfg.Store.(keygate.ChangeNotifier); ok {
		notices = n.ChangeNotices(ctx, v.invalidateNoticed)
	}
	poll := time.NewTicker(v.cfg.PollInterval)
	defer poll.Stop()
	flush := time.NewTicker(v.cfg.FlushInterval)
	defer flush.Stop()
	shared := make(chan struct{})
	go func() { defer close(shared); v.shareLoop(ctx) }()
	lastRead := time.Now()
	for {
		select {
		case <-ctx.Done():
			<-shared
			v.flush(context.WithoutCancel(ctx))
			return nil
		case <-flush.C:
			v.flush(ctx)
			continue
		case <-poll.C:
		case <-notices:
		}
		next, err := v.followBounded(ctx, seq)
		switch {
		case err == nil:
			seq, lastRead = next, time.Now()
			v.followed.Store(seq)
			v.feedRead(lastRead)
		case ctx.Err() == nil:
			v.feedFailed(err, lastRead)
		}
	}
}

// invalidateNoticed forgets the credentials a notice of the store named as
// changed, before the read of the feed that the notice also asks for: one
// round trip to the database fewer before a change is in force here.
func (v *Verifier) invalidateNoticed(ids []string) {
	for _, id := range ids {
		v.Invalidate(id)
	}
}

// FollowedTo returns the sequence number of the last change of the feed
// that Run has applied to the cache: every change up to it is in force
// here.
func (v *Verifier) FollowedTo() int64 { return v.followed.Load() }

// follow invalidates every credential changed after seq and returns the
// sequence number it got to.
func (v *Verifier) follow(ctx context.Context, seq int64) (int64, error) {
	for {
		var changes []keygate.Change
		err := v.read(ctx, func(tx keygate.Tx) (err error) {
			changes, err = tx.FindChanges(ctx, seq, changePage)
			return err
		})
		if err != nil {
			return seq, err
		}
		applied := time.Now()
		for _, c := range changes {
			v.Invalidate(c.CredentialID)
			v.Metrics.propagated(c.ChangedAt, applied)
			seq = c.Seq
		}
		if len(changes) < changePage {
			return seq, nil
		}
	}
}

// touch notes a use of rec at now. It queues rec for the next write at most
// once per write, so a busy key costs one atomic store per request.
func (v *Verifier) touch(rec *record, now int64) {
	if rec.lastUsed.Load() != now { // the coarse clock: a store per tick, not per request
		rec.lastUsed.Store(now)
	}
	rec.requests.Add(1)
	if rec.pending.Load() || !rec.pending.CompareAndSwap(false, true) {
		return
	}
	v.pendingMu.Lock()
	v.pending = append(v.pending, rec)
	v.pendingMu.Unlock()
}

// refusal is the number of permission refusals of a credential since the
// last flush, and the time of the latest.
type refusal struct {
	n, at int64
}

// refuse counts n permission refusals of the credential id, the latest at
// now, for the next flush.
func (v *Verifier) refuse(id string, n, now int64) {
	v.refusedMu.Lock()
	if v.refused == nil {
		v.refused = make(map[string]refusal)
	}
	r := v.refused[id]
	v.refused[id] = refusal{n: r.n + n, at: max(r.at, now)}
	v.refusedMu.Unlock()
}

// flush writes the pending last uses and refusals in one transaction. On
// failure they are queued again for the next flush.
func (v *Verifier) flush(ctx context.Context) {
	v.pendingMu.Lock()
	recs := v.pending
	v.pending = nil
	v.pendingMu.Unlock()
	v.refusedMu.Lock()
	refused := v.refused
	v.refused = nil
	v.refusedMu.Unlock()
	if len(recs) == 0 && len(refused) == 0 {
		return
	}
	uses := make([]keygate.LastUse, len(recs), len(recs)+len(refused))
	for i, r := range recs {
		r.pending.Store(false) // before reading lastUsed: a use after this re-queues
		uses[i] = keygate.LastUse{ID: r.credentialID, At: time.Unix(0, r.lastUsed.Load()).UTC(), Requests: r.requests.Swap(0)}
		if f, ok := refused[r.credentialID]; ok {
			uses[i].Forbidden = f.n
			delete(refused, r.credentialID)
		}
	}
	for id, f := range refused { // refusals only: the last use stays as it is
		uses = append(uses, keygate.LastUse{ID: id, At: time.Unix(0, f.at).UTC(), Forbidden: f.n})
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := v.cfg.Store.Update(ctx, func(tx keygate.Tx) error { return tx.TouchAPIKeys(ctx, uses) }); err != nil {
		v.cfg.Logger.Error("write last uses", "keys", len(uses), "err", err)
		for i, r := range recs { // queue them again, requests and all
			r.requests.Add(uses[i].Requests - 1)
			v.touch(r, r.lastUsed.Load())
		}
		for _, u := range uses {
			if u.Forbidden > 0 {
				v.refuse(u.ID, u.Forbidden, u.At.UnixNano())
			}
		}
	}
}

// clockResolution is how far the coarse clock may lag the system's: a key
// stops working at most this long after its expiry.
const clockResolution = time.Millisecond

// clockIdleTicks is how many ticks without a request stop the coarse
// clock: an idle node does not wake a thousand times a second.
const clockIdleTicks = 100

// keepTime keeps the coarse clock until ctx ends, ticking only while
// requests ask for the time: after clockIdleTicks ticks with no request it
// stops (nowNano then reads the system clock) until a request wakes it.
func (v *Verifier) keepTime(ctx context.Context) {
	defer v.coarseNow.Store(0)
	for {
		v.tickWhileAsked(ctx)
		v.coarseNow.Store(0)
		select {
		case <-ctx.Done():
			return
		case <-v.clockWake:
		}
	}
}

// tickWhileAsked keeps the coarse clock until ctx ends or it goes
// clockIdleTicks ticks without a request.
func (v *Verifier) tickWhileAsked(ctx context.Context) {
	tick := time.NewTicker(clockResolution)
	defer tick.Stop()
	for idle := 0; idle < clockIdleTicks; {
		v.coarseNow.Store(time.Now().UnixNano())
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if v.clockAsked.Swap(false) {
			idle = 0
		} else {
			idle++
		}
	}
}

// feedFailed notes a failed read of the change feed: it logs the first of a
// run of failures only, and drops the cache once the feed has gone unread
// for StaleAfter.
func (v *Verifier) feedFailed(err error, lastRead time.Time) {
	v.Metrics.feedErrors.Inc()
	v.healthMu.Lock()
	first := v.feedErr == nil
	v.feedErr, v.feedErrSince = err, cmp.Or(v.feedErrSince, lastRead)
	v.healthMu.Unlock()
	if first {
		v.cfg.Logger.Error("auth: can't read the change feed; serving cached credentials for at most "+StaleAfter.String()+", others answer 503", "err", err)
	}
	if time.Since(lastRead) > StaleAfter && !v.dropped.Swap(true) {
		v.cfg.Logger.Error("auth: change feed unread for " + StaleAfter.String() + ": dropped the cache; every credential answers 503 until the database answers")
		v.invalidateAll()
	} else if v.dropped.Load() {
		v.invalidateAll()
	}
}

// feedRead notes a successful read of the change feed, logging the end of
// an outage.
func (v *Verifier) feedRead(now time.Time) {
	v.healthMu.Lock()
	was, since := v.feedErr, v.feedErrSince
	v.feedErr, v.feedErrSince = nil, time.Time{}
	v.healthMu.Unlock()
	v.dropped.Store(false)
	if was != nil {
		v.cfg.Logger.Info("auth: change feed readable again", "after", now.Sub(since).Round(time.Millisecond))
	}
}

// Health says what is wrong with following the change feed, or "" if
// nothing is: whether it has been unreadable, since when, and why.
func (v *Verifier) Health() string {
	if !v.started.Load() {
		return "not following the change feed"
	}
	v.healthMu.Lock()
	defer v.healthMu.Unlock()
	if v.feedErr == nil {
		return ""
	}
	state := "serving cached credentials"
	if time.Since(v.feedErrSince) > StaleAfter {
		state = "cache dropped, every credential answers 503"
	}
	return fmt.Sprintf("change feed unreadable for %v (%s): %v", time.Since(v.feedErrSince).Round(time.Millisecond), state, v.feedErr)
}

// followBounded is follow bounded by feedTimeout: by its context, and by
// waiting no longer than that for it, should the driver not notice the
// context. A read still running is not started again; it counts as failed.
func (v *Verifier) followBounded(ctx context.Context, seq int64) (int64, error) {
	if !v.following.CompareAndSwap(false, true) {
		return seq, errFollowStuck
	}
	type result struct {
		seq int64
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer v.following.Store(false)
		readCtx, cancel := context.WithTimeout(ctx, feedTimeout)
		defer cancel()
		next, err := v.follow(readCtx, seq)
		done <- result{next, err}
	}()
	timer := time.NewTimer(feedTimeout + 100*time.Millisecond)
	defer timer.Stop()
	select {
	case r := <-done:
		return r.seq, r.err
	case <-timer.C:
		return seq, errFollowStuck
	}
}

// errFollowStuck is the error of a read of the change feed that did not
// end within feedTimeout.
var errFollowStuck = errors.New("auth: read of the change feed did not end in " + feedTimeout.String())
