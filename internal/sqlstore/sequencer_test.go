package sqlstore

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestSequencerCombines checks that writers who hand in their rows while a
// run is going are numbered together by the next run, not by the one
// going (which may have taken its snapshot before their commit), and that
// each writer returns only once a run with its rows has ended, with that
// run's error.
func TestSequencerCombines(t *testing.T) {
	t.Parallel()
	var s sequencer[int64]
	var mu sync.Mutex
	var runs [][]int64
	first, release := make(chan struct{}), make(chan struct{})
	boom := errors.New("boom")
	run := func(_ context.Context, rows []int64) error {
		mu.Lock()
		runs = append(runs, slices.Clone(rows))
		n := len(runs)
		mu.Unlock()
		if n == 1 {
			close(first)
			<-release
			return nil
		}
		return boom
	}
	ctx := context.Background()
	errs := make(chan error, 3)
	go func() { errs <- s.number(ctx, []int64{1}, run) }()
	<-first // the first run is going, with row 1 only
	var joined sync.WaitGroup
	for _, row := range []int64{2, 3} {
		joined.Add(1)
		go func() {
			joined.Done()
			errs <- s.number(ctx, []int64{row}, run)
		}()
	}
	joined.Wait()
	require.Eventually(t, func() bool { // both handed in
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.waiting) == 2
	}, time.Minute, time.Millisecond)
	select {
	case err := <-errs:
		t.Fatalf("a writer returned before its run ended: %v", err)
	default:
	}
	close(release)
	got := []error{<-errs, <-errs, <-errs}
	require.ElementsMatch(t, []error{nil, boom, boom}, got)
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, runs, 2)
	require.Equal(t, []int64{1}, runs[0])
	require.ElementsMatch(t, []int64{2, 3}, runs[1], "the writers who came during the first run share the second")
}

// TestSequencerSettle checks hand and settle: hand returns at once, settle
// returns once the rows handed in before it have been run (by a run that
// began after it was called, if one was going), at once when nothing is
// pending, and with the context's error when its context ends first (Close
// must not hang on a database that doesn't answer).
func TestSequencerSettle(t *testing.T) {
	t.Parallel()
	var s sequencer[int]
	ctx := context.Background()
	require.NoError(t, s.settle(ctx, nil), "nothing pending: at once")

	var mu sync.Mutex
	var ran []int
	started, release := make(chan struct{}, 10), make(chan struct{})
	run := func(_ context.Context, rows []int) error {
		started <- struct{}{}
		<-release
		mu.Lock()
		ran = append(ran, rows...)
		mu.Unlock()
		return errors.New("dropped: hand's runs report to no one")
	}
	s.hand(ctx, []int{1}, run)
	<-started // the first run holds 1 and waits
	s.hand(ctx, []int{2, 3}, run)

	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, s.settle(short, run), context.DeadlineExceeded, "a run that doesn't end doesn't hold settle past its context")

	settled := make(chan error, 1)
	go func() { settled <- s.settle(ctx, run) }()
	close(release)
	require.NoError(t, <-settled)
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []int{1, 2, 3}, ran, "every row handed in before settle was run")
}
