package notify

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// startGather runs gather over an attempts channel holding n attempts, and
// returns the batches it hands over, which the test takes when it likes:
// the recorders' side, busy until then.
func startGather(t *testing.T, n int) (*Dispatcher, chan []attempt) {
	d := &Dispatcher{attempts: make(chan attempt, 4*recordBatch)}
	for range n {
		d.attempts <- attempt{}
	}
	batches := make(chan []attempt)
	go d.gather(batches)
	t.Cleanup(func() {
		close(d.attempts)
		for range batches {
		}
	})
	return d, batches
}

// TestGatherBatches checks that attempts arriving together are recorded in
// one batch, that a batch holds at most recordBatch, and that what arrives
// while every recorder is busy joins the batch waiting for one.
func TestGatherBatches(t *testing.T) {
	t.Run("Together", func(t *testing.T) {
		_, batches := startGather(t, 10)
		require.Len(t, <-batches, 10)
	})
	t.Run("AtMostRecordBatch", func(t *testing.T) {
		_, batches := startGather(t, recordBatch+5)
		require.Len(t, <-batches, recordBatch)
		require.Len(t, <-batches, 5)
	})
	t.Run("WhileRecordersBusy", func(t *testing.T) {
		d, batches := startGather(t, 1)
		time.Sleep(10 * recordLinger) // the batch of one waits for a recorder
		for range 5 {
			d.attempts <- attempt{}
		}
		require.Eventually(t, func() bool { return len(d.attempts) == 0 }, 10*time.Second, time.Millisecond)
		require.Len(t, <-batches, 6)
	})
}
