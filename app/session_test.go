package app_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/sqlite"
)

// peakHeap samples the heap's live and unswept objects every few
// milliseconds until stop is closed, and returns the largest figure seen.
func peakHeap(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-stop:
				out <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return out
}

// TestSignInFloodMemory sends 500 sign-ins at once, from 500 addresses,
// one for a user who exists and the rest for unknown e-mails, through the default budget: the
// heap stays within the budget (plus the test's own small allocations),
// and those that find no turn within the wait
// are told to try again rather than queued without bound.
func TestSignInFloodMemory(t *testing.T) {
	// Not parallel: the heap must be this test's alone.
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), sqlite.FileName))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	svc := app.New(db)
	svc.HashBudget = credential.NewHashBudget(credential.DefaultHashBudget, credential.DefaultHashWait)
	link, err := svc.NewSetupLink(ctx, keygate.Live)
	require.NoError(t, err)
	_, _, err = svc.SetUp(ctx, link, keygate.AccountCreate{Environment: keygate.Live, Name: "Acme"}, keygate.UserCreate{Email: "ada@example.com", Password: "a long password"})
	require.NoError(t, err)

	runtime.GC()
	base := heapObjects()
	stop := make(chan struct{})
	peak := peakHeap(stop)
	var wrong, busy, other atomic.Int64
	var wg sync.WaitGroup
	for i := range 500 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			email := fmt.Sprintf("nobody%d@example.com", i) // each its own: the lockout does not turn them away first
			if i == 0 {
				email = "ada@example.com"
			}
			_, _, err := svc.SignIn(ctx, keygate.Live, email, "guess", fmt.Sprintf("198.51.%d.%d", i/256, i%256))
			switch keygate.ErrorCode(err) {
			case keygate.CodeForbidden:
				wrong.Add(1)
			case keygate.CodeTooManyRequests:
				require.ErrorIs(t, err, app.ErrHashBusy)
				require.Equal(t, "Too many sign-ins at once. Try again in a few seconds.", keygate.ErrorMessage(err))
				busy.Add(1)
			default:
				other.Add(1)
			}
		}()
	}
	wg.Wait()
	close(stop)
	p := <-peak
	t.Logf("500 sign-ins: %d checked, %d told to try again; peak heap %d MiB", wrong.Load(), busy.Load(), p>>20)
	require.Zero(t, other.Load())
	require.Positive(t, wrong.Load())
	require.Positive(t, busy.Load(), "a flood finds the budget full")
	// 4 hashes of 64 MiB in flight and no more: the budget collects each
	// hash's memory before the next takes its turn (without that, the
	// garbage of finished hashes took the heap to 320-640 MiB), against
	// 500 × 64 MiB = 32 GiB unbounded. The slack is for the 500 sign-ins'
	// own small allocations.
	t.Logf("heap before %d MiB, peak %d MiB", base>>20, p>>20)
	require.Less(t, p, base+uint64(credential.DefaultHashBudget)+16<<20, "peak heap")
}

// heapObjects returns the bytes of the heap's live and unswept objects.
func heapObjects() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	return sample[0].Value.Uint64()
}

// TestHashBudget checks that no more hashes run at once than the budget
// holds, and that a caller who finds no turn within the wait gets
// ErrHashBusy.
func TestHashBudget(t *testing.T) {
	t.Parallel()
	b := credential.NewHashBudget(3*credential.PasswordHashMemory, 50*time.Millisecond)
	require.Equal(t, 3, b.Slots())
	var in, most atomic.Int64
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			require.NoError(t, b.Do(context.Background(), func() {
				n := in.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				<-release
				in.Add(-1)
			}))
		}()
	}
	require.Eventually(t, func() bool { return in.Load() == 3 }, 5*time.Second, time.Millisecond)
	require.ErrorIs(t, b.Do(context.Background(), func() { t.Error("ran beyond the budget") }), credential.ErrHashBusy)
	close(release)
	wg.Wait()
	require.EqualValues(t, 3, most.Load())
	ran := false
	require.NoError(t, b.Do(context.Background(), func() { ran = true }))
	require.True(t, ran)
}
