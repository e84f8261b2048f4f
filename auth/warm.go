package auth

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/credential"
)

// errWarmInvalidatedAll stops a warm-up when the whole cache is dropped.
var errWarmInvalidatedAll = errors.New("auth: the cache was dropped during the warm-up")

// warmLog notes the credentials invalidated while a warm-up runs, so that a
// record it read before a change can't outlive the change's invalidation.
type warmLog struct {
	mu  sync.Mutex
	ids map[string]struct{}
	all bool
}

// note records an invalidation of entityID.
func (w *warmLog) note(entityID string) {
	w.mu.Lock()
	w.ids[entityID] = struct{}{}
	w.mu.Unlock()
}

// noteAll records an invalidation of everything.
func (w *warmLog) noteAll() {
	w.mu.Lock()
	w.all = true
	w.mu.Unlock()
}

// invalidated reports whether entityID, or everything, was invalidated since
// the warm-up began.
func (w *warmLog) invalidated(entityID string) (one, all bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, one = w.ids[entityID]
	return one, w.all
}

// noteWarm tells a running warm-up of an invalidation of entityID.
func (v *Verifier) noteWarm(entityID string) {
	if w := v.warming.Load(); w != nil {
		w.note(entityID)
	}
}

// noteWarmAll tells a running warm-up that everything was invalidated.
func (v *Verifier) noteWarmAll() {
	if w := v.warming.Load(); w != nil {
		w.noteAll()
	}
}

// WarmDone is closed when the warm-up that Run starts has ended (at once
// if Config.WarmKeys is 0).
func (v *Verifier) WarmDone() <-chan struct{} { return v.warmDone }

// Warmed returns how many keys the warm-up has put in the cache so far.
func (v *Verifier) Warmed() int { return int(v.warmed.Load()) }

// warm loads the standard API keys used most recently into the cache, at
// most Config.WarmKeys of them (never more than the cache holds) and for at
// most Config.WarmTime, while requests are already served: a node that
// starts with an empty cache would otherwise read the store once per key in
// use, on the requests' time.
//
// Revocation wins over the warm-up. The keys are read in one statement
// that only returns keys in service; a change that commits after the
// statement has read a key is invalidated after that commit (by the change
// feed, or Service.Changed on this node), and every invalidation during the
// warm-up is noted. Each record is put in the cache first and the note
// checked after: an invalidation noted before the check removes the record
// here, and one noted after it removes the record itself. Keys that a
// request already loaded are left alone.
func (v *Verifier) warm(ctx context.Context) {
	defer close(v.warmDone)
	limit := min(v.cfg.WarmKeys, v.cfg.MaxEntries)
	if limit <= 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, v.cfg.WarmTime)
	defer cancel()
	log := &warmLog{ids: map[string]struct{}{}}
	v.warming.Store(log)
	defer v.warming.Store(nil)
	start := time.Now()

	var rotatable []string // loaded one by one after the scan, with their rotations
	err := v.cfg.Store.View(ctx, func(tx keygate.Tx) error {
		now := v.cfg.Now()
		return tx.EachRecentAPIKey(ctx, now, limit, func(k *keygate.APIKey) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if k.Rotatable {
				rotatable = append(rotatable, k.ID)
				return nil
			}
			rec := newRecord(k)
			v.attachControls(rec, k, now.UnixNano())
			return v.warmOne(log, k.ID, rec, now.UnixNano())
		})
	})
	for _, id := range rotatable {
		if err != nil {
			break
		}
		err = v.warmRotatable(ctx, log, id)
	}
	if err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
		v.cfg.Logger.Error("auth: warm the cache", "keys", v.Warmed(), "err", err)
		return
	}
	v.cfg.Logger.Info("auth: warmed the cache with the keys used most recently", "keys", v.Warmed(),
		"took", time.Since(start).Round(time.Millisecond), "complete", err == nil)
}

// warmOne puts rec, the record of the key id as read, in the cache unless a
// request put the key there first, then takes it out again if the key was
// invalidated meanwhile.
func (v *Verifier) warmOne(log *warmLog, id string, rec *record, now int64) error {
	body := credential.IDBody(id)
	if _, known := v.cache.get(body, now); known {
		return nil
	}
	v.cache.put(body, rec)
	one, all := log.invalidated(id)
	if one || all {
		v.cache.remove(body)
	}
	if all {
		return errWarmInvalidatedAll
	}
	if !one {
		v.warmed.Add(1)
	}
	return nil
}

// warmRotatable loads a rotatable key with its live rotations, as a miss
// would, and warms the cache with it.
func (v *Verifier) warmRotatable(ctx context.Context, log *warmLog, id string) error {
	now := v.cfg.Now().UnixNano()
	var rec *record
	err := v.read(ctx, func(tx keygate.Tx) error {
		k, err := tx.FindAPIKeyByID(ctx, id)
		if err != nil {
			return err
		}
		if rec, err = loadRotation(ctx, tx, k, now); err == nil {
			v.attachControls(rec, k, now)
		}
		return err
	})
	switch {
	case keygate.ErrorCode(err) == keygate.CodeNotFound:
		return nil
	case err != nil:
		return err
	case !rec.usable(now):
		return nil // revoked or expired since the scan
	}
	return v.warmOne(log, id, rec, now)
}
