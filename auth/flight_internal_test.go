package auth

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestFlightPanic checks that the requests that shared a read which
// panicked on its request's goroutine (the inline path; net/http recovers
// a handler's panic) get an error, not "no such key" (nil, nil). On a
// loader a panic ends the process, as it did with singleflight.
func TestFlightPanic(t *testing.T) {
	f := newFlights()
	k := flightKey{key: "k"}
	started, proceed := make(chan struct{}), make(chan struct{})
	go func() {
		defer func() { recover() }() // as net/http does for a handler
		f.do(k, 0, time.Minute, true, func() (*record, error) {
			close(started)
			<-proceed
			panic("a driver's bug")
		})
	}()
	<-started
	type answer struct {
		rec *record
		err error
	}
	joined := make(chan answer, 1)
	go func() {
		rec, err := f.do(k, 0, time.Minute, true, func() (*record, error) {
			return nil, errors.New("came too late to join: a read of its own")
		})
		joined <- answer{rec, err}
	}()
	time.Sleep(20 * time.Millisecond) // the second request joins the read
	close(proceed)
	got := <-joined
	require.Nil(t, got.rec)
	require.Error(t, got.err)
}

// TestFlightKeys checks which reads are shared: misses of one key in one
// cache at one invalidation generation share; another cache (kind of
// credential) or a later generation reads on its own.
func TestFlightKeys(t *testing.T) {
	f := newFlights()
	c1, c2 := newCache(16), newCache(16)
	hold := make(chan struct{})
	first := make(chan struct{})
	go f.do(flightKey{c1, "x"}, 1, 10*time.Second, false, func() (*record, error) {
		close(first)
		<-hold
		return &record{credentialID: "first"}, nil
	})
	<-first
	own := func(id string) func() (*record, error) {
		return func() (*record, error) { return &record{credentialID: id}, nil }
	}
	rec, err := f.do(flightKey{c2, "x"}, 1, 10*time.Second, false, own("other cache"))
	require.NoError(t, err)
	require.Equal(t, "other cache", rec.credentialID, "another kind of credential with the same ID body")
	rec, err = f.do(flightKey{c1, "x"}, 2, 10*time.Second, true, own("after an invalidation"))
	require.NoError(t, err)
	require.Equal(t, "after an invalidation", rec.credentialID)

	shared := make(chan *record, 1)
	go func() {
		rec, _ := f.do(flightKey{c1, "y"}, 3, 10*time.Second, false, own("y"))
		shared <- rec
	}()
	require.Equal(t, "y", (<-shared).credentialID)
	close(hold)
	require.Eventually(t, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(f.calls) == 0
	}, 5*time.Second, time.Millisecond, "every read's entry removed once it ends")
}
