package sqlstore

import (
	"context"
	"sync"
)

// sequencer combines the work one node's writers leave for after their
// commits, T being one writer's (afterCommit: its change rows to number and
// audit entries to chain; docs/decisions.md, "The change feed's order").
// A writer that has committed hands its rows in; if no run is going, it
// starts one; else its rows wait for the next run, which takes every row
// handed in meanwhile. Each writer returns once a run that began after it handed its
// rows in has ended: its rows were committed before that run took the
// change lock, so they were in that run's snapshot and are numbered. Runs
// follow one another, one at a time per node; under load a run numbers the
// rows of many writers with one lock, one round trip and one WAL flush,
// where each writer took the lock in turn before.
type sequencer[T any] struct {
	mu      sync.Mutex
	running bool
	rows    []T          // handed in for the next run
	waiting []chan error // the writers of those rows
}

// number numbers rows with run, together with any other writer's rows
// handed in meanwhile, and returns run's error.
func (s *sequencer[T]) number(ctx context.Context, rows []T, run func(context.Context, []T) error) error {
	done := make(chan error, 1)
	s.mu.Lock()
	s.rows = append(s.rows, rows...)
	s.waiting = append(s.waiting, done)
	if !s.running {
		s.running = true
		go s.loop(context.WithoutCancel(ctx), run)
	}
	s.mu.Unlock()
	return <-done
}

// loop runs run for the rows handed in until there are none left.
func (s *sequencer[T]) loop(ctx context.Context, run func(context.Context, []T) error) {
	for {
		s.mu.Lock()
		rows, waiting := s.rows, s.waiting
		s.rows, s.waiting = nil, nil
		if len(waiting) == 0 {
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
