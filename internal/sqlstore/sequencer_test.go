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
// run is going are done together by the next run, not by the one going
// (which may have taken its snapshot before their commit), and that hand
// returns at once, without waiting for any run.
func TestSequencerCombines(t *testing.T) {
	t.Parallel()
	var s sequencer[int64]
	var mu sync.Mutex
	var runs [][]int64
	first, release := make(chan struct{}), make(chan struct{})
	run := func(_ context.Context, rows []int64) error {
		mu.Lock()
		runs = append(runs, slices.Clone(rows))
		n := len(runs)
		mu.Unlock()
		if n == 1 {
			close(first)
			<-release
		}
		return nil
	}
	ctx := context.Background()
	s.hand(ctx, []int64{1}, run)
	<-first // the first run is going, with row 1 only
	var handed sync.WaitGroup
	for _, row := range []int64{2, 3} {
		handed.Go(func() { s.hand(ctx, []int64{row}, run) })
	}
	handed.Wait() // both returned while the first run still holds
	close(release)
	require.NoError(t, s.settle(ctx, run))
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
