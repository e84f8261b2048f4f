package auth

import (
	"context"
	"errors"
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
// reads honour their context, waits for its locks included) is read on the
// request's own goroutine, which saves the hand-over to a loader and back;
// that request then waits for the read itself, which only a stalled disk
// would hold past its context.
//
// A read is shared only by the misses of one cache (one kind of credential)
// and one key that arrive while no invalidation has come since it began:
// a request made after a key's change must not be answered by a read that
// may predate it.
type flights struct {
	mu      sync.Mutex
	calls   map[flightKey]*flight
	jobs    chan func() // to an idle loader
	loaders int         // loaders alive, at most maxLoaders
}

// flightKey names what a read is for: a key in one cache.
type flightKey struct {
	c   *cache
	key string
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
	gen  uint64 // the verifier's invalidation generation when it began
	rec  *record
	err  error
}

// errReadPanicked is what the requests that shared a read get if it
// panicked: not "no such key".
var errReadPanicked = errors.New("auth: the store read panicked")

// maxLoaders is the most loaders kept between reads. More reads than this
// at once run on goroutines of their own, which end with their read.
const maxLoaders = 16

// loaderIdle is how long a loader waits for a read before it ends, so that
// a verifier no longer used leaves no goroutines behind for long.
const loaderIdle = 10 * time.Second

func newFlights() *flights {
	return &flights{calls: map[flightKey]*flight{}, jobs: make(chan func())}
}

// do returns what read finds for k: it starts read unless a read of k
// begun at invalidation generation gen is in flight already, and waits for
// that read at most wait; or, if inline, runs read itself and waits for it
// to end.
func (f *flights) do(k flightKey, gen uint64, wait time.Duration, inline bool, read func() (*record, error)) (*record, error) {
	f.mu.Lock()
	c, shared := f.calls[k]
	if !shared || c.gen != gen {
		shared = false
		c = &flight{done: make(chan struct{}), gen: gen, err: errReadPanicked}
		f.calls[k] = c // an older read of k, if any, answers only its own
	}
	f.mu.Unlock()
	if !shared {
		job := func() {
			defer func() {
				f.mu.Lock()
				if f.calls[k] == c {
					delete(f.calls, k)
				}
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
