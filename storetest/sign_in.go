package storetest

import (
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
)

// testSignInAttempts checks the sign-in counters behind the lockout: each
// attempt is counted in one atomic statement (40 at once see 40 different
// counts), a window that has closed starts again, and counts can be
// forgiven, forgotten and swept.
func testSignInAttempts(t *testing.T, h Harness) {
	b := setup(t, h)
	const window = 15 * time.Minute
	count := func(key string, at time.Time) (int, time.Time) {
		var n int
		var start time.Time
		require.NoError(t, b.store.Update(b.ctx, func(tx keygate.Tx) (err error) {
			n, start, err = tx.CountSignInAttempt(b.ctx, key, at, window)
			return err
		}))
		return n, start
	}
	update := func(fn func(tx keygate.Tx) error) { require.NoError(t, b.store.Update(b.ctx, fn)) }

	n, start := count("live|email|ada@example.com", T0)
	require.Equal(t, 1, n)
	require.True(t, start.Equal(T0))
	n, start = count("live|email|ada@example.com", T0.Add(time.Minute))
	require.Equal(t, 2, n)
	require.True(t, start.Equal(T0), "the window began with the first attempt")
	n, _ = count("sandbox|email|ada@example.com", T0)
	require.Equal(t, 1, n, "keys are counted apart")

	update(func(tx keygate.Tx) error { return tx.ForgiveSignInAttempt(b.ctx, "live|email|ada@example.com") })
	n, _ = count("live|email|ada@example.com", T0.Add(2*time.Minute))
	require.Equal(t, 2, n, "forgiven: one fewer")

	n, start = count("live|email|ada@example.com", T0.Add(window))
	require.Equal(t, 1, n, "a closed window starts again")
	require.True(t, start.Equal(T0.Add(window)))

	update(func(tx keygate.Tx) error { return tx.ForgetSignInAttempts(b.ctx, "live|email|ada@example.com") })
	n, _ = count("live|email|ada@example.com", T0.Add(window+time.Second))
	require.Equal(t, 1, n, "forgotten")

	update(func(tx keygate.Tx) error { return tx.DeleteOldSignInAttempts(b.ctx, T0.Add(window+time.Minute)) })
	n, _ = count("sandbox|email|ada@example.com", T0.Add(window+2*time.Minute))
	require.Equal(t, 1, n, "swept")

	// Counted before checked, atomically: 40 attempts at once.
	var mu sync.Mutex
	var seen []int
	var wg sync.WaitGroup
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var n int
			err := b.store.Update(b.ctx, func(tx keygate.Tx) (err error) {
				n, _, err = tx.CountSignInAttempt(b.ctx, "live|email|eve@example.com", T0, window)
				return err
			})
			require.NoError(t, err)
			mu.Lock()
			seen = append(seen, n)
			mu.Unlock()
		}()
	}
	wg.Wait()
	sort.Ints(seen)
	for i, n := range seen {
		require.Equal(t, i+1, n, "each concurrent attempt sees its own count")
	}
}
