package notify_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/notify"
)

// holdingReceiver answers only once released, and counts the requests it
// holds at once.
type holdingReceiver struct {
	*httptest.Server
	release  chan struct{}
	once     sync.Once
	held     atomic.Int64
	maxHeld  atomic.Int64
	received atomic.Int64
}

func newHoldingReceiver(t *testing.T) *holdingReceiver {
	rc := &holdingReceiver{release: make(chan struct{})}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := rc.held.Add(1)
		for m := rc.maxHeld.Load(); n > m && !rc.maxHeld.CompareAndSwap(m, n); m = rc.maxHeld.Load() {
		}
		<-rc.release
		rc.held.Add(-1)
		rc.received.Add(1)
	}))
	t.Cleanup(func() { rc.open(); rc.Close() })
	return rc
}

func (rc *holdingReceiver) open() { rc.once.Do(func() { close(rc.release) }) }

// deliverySetup is setup with a dispatcher that waits long for answers and
// lets perDestination deliveries run at once to one destination.
func deliverySetup(t *testing.T, perDestination int) *bundle {
	loopback, err := keygate.ParseAddressPolicy("127.0.0.0/8,::1")
	require.NoError(t, err)
	return setupWith(t, loopback, loopback, func(c *notify.Config) {
		c.Timeout, c.PerDestination, c.Workers = time.Minute, perDestination, 16
	})
}

func (b *bundle) keys(t *testing.T, n int) {
	for range n {
		_, _, err := b.svc.CreateAPIKey(b.ctx, app.AccountScope(b.acc.ID), b.acc.ID, keygate.APIKeyCreate{Name: "k", Permissions: []keygate.Permission{"price.read"}})
		require.NoError(t, err)
	}
}

// TestSlowDestinationIsolated checks that a destination that does not
// answer does not hold back the deliveries to another: every event reaches
// the answering destination while the other still holds its first
// deliveries.
func TestSlowDestinationIsolated(t *testing.T) {
	t.Parallel()
	b := deliverySetup(t, 2)
	slow := newHoldingReceiver(t)
	fast := newReceiver(t)
	b.destination(t, keygate.DestinationURL, slow.URL, keygate.EventAPIKeyCreated)
	s := b.destination(t, keygate.DestinationURL, fast.URL, keygate.EventAPIKeyCreated)
	fast.trust(s)
	b.keys(t, 10)
	require.Eventually(t, func() bool { return len(fast.received()) == 10 }, 30*time.Second, 10*time.Millisecond,
		"every event reaches the answering destination")
	require.Zero(t, slow.received.Load(), "while the other one still holds its deliveries")
	require.LessOrEqual(t, slow.maxHeld.Load(), int64(2))
	slow.open()
	require.Eventually(t, func() bool { return slow.received.Load() == 10 }, 30*time.Second, 10*time.Millisecond)
}

// TestInFlightBound checks that no more than PerDestination deliveries to
// one destination are in flight at once, and that the rest follow.
func TestInFlightBound(t *testing.T) {
	t.Parallel()
	b := deliverySetup(t, 3)
	rc := newHoldingReceiver(t)
	b.destination(t, keygate.DestinationURL, rc.URL, keygate.EventAPIKeyCreated)
	b.keys(t, 12)
	require.Eventually(t, func() bool { return rc.held.Load() == 3 }, 30*time.Second, 10*time.Millisecond)
	time.Sleep(300 * time.Millisecond) // time for a fourth, were it allowed
	require.Equal(t, int64(3), rc.maxHeld.Load())
	rc.open()
	require.Eventually(t, func() bool { return rc.received.Load() == 12 }, 30*time.Second, 10*time.Millisecond)
	require.Equal(t, int64(3), rc.maxHeld.Load())
}

// TestDestinationFreedWhenAnswered checks that a delivery's place among its
// destination's deliveries in flight is freed when the destination answers,
// not when the attempt is recorded: with one delivery in flight allowed and
// no record written, every event still reaches the destination, one after
// another, and all are recorded once records go on.
func TestDestinationFreedWhenAnswered(t *testing.T) {
	t.Parallel()
	b := deliverySetup(t, 1)
	release := notify.HoldRecords(b.d)
	t.Cleanup(release) // before the dispatcher stops, should the test fail
	rc := newReceiver(t)
	s := b.destination(t, keygate.DestinationURL, rc.URL, keygate.EventAPIKeyCreated)
	rc.trust(s)
	b.keys(t, 3)
	require.Eventually(t, func() bool { return len(rc.received()) == 3 }, 30*time.Second, 10*time.Millisecond,
		"each delivery starts once the one before is answered, recorded or not")
	for _, n := range b.notificationsOf(t, s.ID) {
		require.Equal(t, keygate.NotificationNotAttempted, n.Status, "no record written yet")
	}
	release()
	require.Eventually(t, func() bool {
		for _, n := range b.notificationsOf(t, s.ID) {
			if n.Status != keygate.NotificationDelivered {
				return false
			}
		}
		return true
	}, 30*time.Second, 10*time.Millisecond)
	require.Len(t, rc.received(), 3, "each delivered once")
}
