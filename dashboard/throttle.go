package dashboard

import (
	"sync"
	"time"
)

// Sign-in throttling: after slowAfter failures for one e-mail address (or
// one client), each further attempt waits a little longer; after lockAfter,
// sign-in is refused for lockFor.
const (
	slowAfter = 3
	lockAfter = 10
	lockFor   = 15 * time.Minute
)

type throttle struct {
	now func() time.Time
	mu  sync.Mutex
	by  map[string]*failures
}

type failures struct {
	count int
	last  time.Time
}

func newThrottle(now func() time.Time) *throttle {
	return &throttle{now: now, by: map[string]*failures{}}
}

// check returns how long to wait before trying keys (an e-mail address and
// a client address), and whether they are locked out, and for how long.
func (t *throttle) check(keys ...string) (delay time.Duration, lockedFor time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for _, k := range keys {
		f := t.by[k]
		if f == nil || now.Sub(f.last) > lockFor {
			continue
		}
		if f.count >= lockAfter {
			lockedFor = max(lockedFor, lockFor-now.Sub(f.last))
		} else if f.count >= slowAfter {
			delay = max(delay, time.Duration(f.count-slowAfter+1)*250*time.Millisecond)
		}
	}
	return delay, lockedFor
}

// fail records a failed sign-in for keys.
func (t *throttle) fail(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for k, f := range t.by { // forget what is old, so the map stays small
		if now.Sub(f.last) > lockFor {
			delete(t.by, k)
		}
	}
	for _, k := range keys {
		f := t.by[k]
		if f == nil {
			f = &failures{}
			t.by[k] = f
		}
		f.count++
		f.last = now
	}
}

// succeed forgets the failures of keys.
func (t *throttle) succeed(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		delete(t.by, k)
	}
}
