package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/keygate/keygate"
)

// changePage is how many change-feed entries one read takes.
const changePage = 1000

// staleAfter is how long the change feed may go unread before the cache is
// dropped whole: past it, the cache could hold changes it has not heard of.
const staleAfter = 5 * time.Second

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

	var notices <-chan struct{}
	if n, ok := v.cfg.Store.(keygate.ChangeNotifier); ok {
		notices = n.ChangeNotices(ctx)
	}
	poll := time.NewTicker(v.cfg.PollInterval)
	defer poll.Stop()
	flush := time.NewTicker(v.cfg.FlushInterval)
	defer flush.Stop()
	lastRead := time.Now()
	for {
		select {
		case <-ctx.Done():
			v.flush(context.WithoutCancel(ctx))
			return nil
		case <-flush.C:
			v.flush(ctx)
			continue
		case <-poll.C:
		case <-notices:
		}
		next, err := v.follow(ctx, seq)
		switch {
		case err == nil:
			seq, lastRead = next, time.Now()
			v.followed.Store(seq)
		case ctx.Err() == nil:
			v.cfg.Logger.Error("read change feed", "err", err)
			if time.Since(lastRead) > staleAfter {
				v.invalidateAll()
			}
		}
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

// flush writes the pending last uses in one transaction. On failure they
// are queued again for the next flush.
func (v *Verifier) flush(ctx context.Context) {
	v.pendingMu.Lock()
	recs := v.pending
	v.pending = nil
	v.pendingMu.Unlock()
	if len(recs) == 0 {
		return
	}
	uses := make([]keygate.LastUse, len(recs))
	for i, r := range recs {
		r.pending.Store(false) // before reading lastUsed: a use after this re-queues
		uses[i] = keygate.LastUse{ID: r.credentialID, At: time.Unix(0, r.lastUsed.Load()).UTC(), Requests: r.requests.Swap(0)}
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := v.cfg.Store.Update(ctx, func(tx keygate.Tx) error { return tx.TouchAPIKeys(ctx, uses) }); err != nil {
		v.cfg.Logger.Error("write last uses", "keys", len(uses), "err", err)
		for i, r := range recs { // queue them again, requests and all
			r.requests.Add(uses[i].Requests - 1)
			v.touch(r, r.lastUsed.Load())
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
