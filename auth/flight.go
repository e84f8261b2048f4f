package auth

import (
	"context"
	"sync"
	"time"
)

// flights shares one store read among the concurrent misses of a key, and
// runs each read on a loader: a goroutine kept between reads. A goroutine
// started for each read (as singleflight.DoChan does) begins with a small
// stack and grows it through the store driver's deep calls on every miss,
// a seventh of a miss's CPU on SQLite; a loader grows it once.
//
// The read runs apart from the request that asked for it so that a request
// waits no longer than its bound even if the driver ignores the read's
// context (a connection that hangs without failing): the request gives up,
// the loader stays with the read, and the next misses get other loaders.
// A store whose reads are local (SQLite: no connection to hang, and its
// reads honour their context) is read on the request's own goroutine,
// which saves the hand-over to a loader and back.
type flights struct {
	mu      sync.Mutex
	calls   map[string]*flight
	jobs    chan func() // to an idle loader
	loaders int         // loaders alive, at most maxLoaders
}

// localReader is a store whose reads run in this process.
type localReader interface {
	// LocalReads reports whether every read runs in this process and
	// honours its context.
	LocalReads() bool
}

// flight is one read in progress; done closes when rec and err are set.
type flight struct {
	done chan struct{}
	rec  *record
	err  error
}

// maxLoaders is the most loaders kept between reads. More reads than this
// at once run on goroutines of their own, which end with their read.
const maxLoaders = 16

// loaderIdle is how long a loader waits for a read before it ends, so that
// a verifier no longer used leaves no goroutines behind for long.
const loaderIdle = 10 * time.Second

func newFlights() *flights {
	return &flights{calls: map[string]*flight{}, jobs: make(chan func())}
}

// do returns what read finds for key: it starts read unless a read of key
// is in flight already, and waits for that read at most wait; or, if
// inline, runs read itself and waits for it to end.
func (f *flights) do(key string, wait time.Duration, inline bool, read func() (*record, error)) (*record, error) {
	f.mu.Lock()
	c, shared := f.calls[key]
	if !shared {
		c = &flight{done: make(chan struct{})}
		f.calls[key] = c
	}
	f.mu.Unlock()
	if !shared {
		job := func() {
			defer func() {
				f.mu.Lock()
				delete(f.calls, key)
				f.mu.Unlock()
				close(c.done)
			}()
			c.rec, c.err = read()
		}
		if inline {
			job()
			return c.rec, c.err
		}
		f.start(job)
	}
	select {
	case <-c.done:
		return c.rec, c.err
	default:
	}
	timeout := time.NewTimer(wait)
	defer timeout.Stop()
	select {
	case <-c.done:
		return c.rec, c.err
	case <-timeout.C:
		return nil, context.DeadlineExceeded
	}
}

// start hands job to an idle loader, or starts a goroutine for it, which
// stays on as a loader if there are fewer than maxLoaders.
func (f *flights) start(job func()) {
	select {
	case f.jobs <- job:
		return
	default:
	}
	f.mu.Lock()
	stay := f.loaders < maxLoaders
	if stay {
		f.loaders++
	}
	f.mu.Unlock()
	go func() {
		job()
		if stay {
			f.serve()
		}
	}()
}

// serve runs the jobs handed to it until it has waited loaderIdle for one.
func (f *flights) serve() {
	idle := time.NewTimer(loaderIdle)
	defer idle.Stop()
	for {
		select {
		case job := <-f.jobs:
			job()
			idle.Reset(loaderIdle)
		case <-idle.C:
			f.mu.Lock()
			f.loaders--
			f.mu.Unlock()
			return
		}
	}
}
