package sqlstore

import (
	"context"
	"sync"
)

// sequencer combines the work one node's writers leave for after their
// commits, T being a piece of one writer's (afterCommit: its change rows
// to number, its audit entries to chain; docs/decisions.md, "The change
// feed's order"). A writer that has committed hands its rows in (hand) and
// goes on; if no run is going, one starts; else the rows wait for the next
// run, which takes every row handed in meanwhile. Rows handed in after a
// writer's commit were committed before the run that takes them began, so
// they are in that run's snapshot. Runs follow one another, one at a time
// per node; under load a run numbers the rows of many writers with one
// lock, one round trip and one WAL flush, where each writer took the lock
// in turn before. settle waits for the rows handed in before it.
type sequencer[T any] struct {
	mu      sync.Mutex
	running bool
	rows    []T          // handed in for the next run
	waiting []chan error // the writers of those rows
}

// hand has run do rows, together with any other rows handed in meanwhile,
// and returns without waiting for it; run's error is dropped (what it
// failed to do, a sweep does).
func (s *sequencer[T]) hand(ctx context.Context, rows []T, run func(context.Context, []T) error) {
	s.mu.Lock()
	s.rows = append(s.rows, rows...)
	if !s.running {
		s.running = true
		go s.loop(ctx, run)
	}
	s.mu.Unlock()
}

// settle returns once a run that began after it was called has ended, or
// at once if there is nothing to run; run's error is dropped, as hand's.
func (s *sequencer[T]) settle(ctx context.Context, run func(context.Context, []T) error) error {
	s.mu.Lock()
	if !s.running && len(s.rows) == 0 {
		s.mu.Unlock()
		return nil
	}
	done := make(chan error, 1)
	s.waiting = append(s.waiting, done)
	if !s.running {
		s.running = true
		go s.loop(context.WithoutCancel(ctx), run)
	}
	s.mu.Unlock()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// loop runs run for the rows handed in until there are none left.
func (s *sequencer[T]) loop(ctx context.Context, run func(context.Context, []T) error) {
	for {
		s.mu.Lock()
		rows, waiting := s.rows, s.waiting
		s.rows, s.waiting = nil, nil
		if len(rows) == 0 && len(waiting) == 0 {
			s.running = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		err := run(ctx, rows)
		for _, w := range waiting {
			w <- err
		}
	}
}
