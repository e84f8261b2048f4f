package auth

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestCoarseClockStopsWhenIdle checks that the coarse clock ticks while
// requests ask for the time, stops when none has for a while (an idle node
// must not wake every millisecond), answers from the system clock while
// stopped, and starts again on the next request.
func TestCoarseClockStopsWhenIdle(t *testing.T) {
	t.Parallel()
	v := New(Config{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		v.keepTime(ctx)
	}()
	defer func() { cancel(); <-done }()

	require.Eventually(t, func() bool { v.nowNano(); return v.coarseNow.Load() != 0 }, 5*time.Second, time.Millisecond, "ticking while asked")
	require.Eventually(t, func() bool { return v.coarseNow.Load() == 0 }, 10*time.Second, 10*time.Millisecond, "stopped when idle")
	before := time.Now().UnixNano()
	now := v.nowNano()
	require.GreaterOrEqual(t, now, before, "the system clock while stopped")
	require.Eventually(t, func() bool { v.nowNano(); return v.coarseNow.Load() != 0 }, 5*time.Second, time.Millisecond, "woken by a request")
	require.InDelta(t, time.Now().UnixNano(), v.nowNano(), float64(time.Second))
}
