package notify_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/notify"
)

// markFailing is a store whose first fails UpdateNotification calls fail,
// as a database that refuses the recording of attempts.
type markFailing struct {
	keygate.Store
	fails atomic.Int64
}

func (s *markFailing) Update(ctx context.Context, fn func(keygate.Tx) error) error {
	return s.Store.Update(ctx, func(tx keygate.Tx) error { return fn(markFailingTx{Tx: tx, s: s}) })
}

type markFailingTx struct {
	keygate.Tx
	s *markFailing
}

func (t markFailingTx) UpdateNotification(ctx context.Context, n *keygate.Notification) error {
	if t.s.fails.Add(-1) >= 0 {
		return errors.New("injected: the database refuses the record")
	}
	return t.Tx.UpdateNotification(ctx, n)
}

// TestUnrecordedDeliveryRedelivered checks that a delivery whose record
// fails (the batch's transaction, then its own) is not lost: its claim
// runs out and it is delivered again, then recorded.
func TestUnrecordedDeliveryRedelivered(t *testing.T) {
	t.Parallel()
	loopback, err := keygate.ParseAddressPolicy("127.0.0.0/8,::1")
	require.NoError(t, err)
	var store *markFailing
	b := setupWith(t, loopback, loopback, func(c *notify.Config) {
		store = &markFailing{Store: c.Store}
		store.fails.Store(2) // the batch, then the attempt on its own
		c.Store, c.Lease = store, 5*time.Second
	})
	rc := newReceiver(t)
	s := b.destination(t, keygate.DestinationURL, rc.URL, keygate.EventAPIKeyCreated)
	rc.trust(s)
	_, _, err = b.svc.CreateAPIKey(b.ctx, app.AccountScope(b.acc.ID), b.acc.ID, keygate.APIKeyCreate{Name: "k", Permissions: []keygate.Permission{"price.read"}})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		return b.notificationsOf(t, s.ID)[0].Status == keygate.NotificationDelivered
	}, eventually, 10*time.Millisecond)
	got := len(rc.received())
	require.GreaterOrEqual(t, got, 2, "delivered, not recorded, delivered again")
	n := b.notificationsOf(t, s.ID)[0]
	logs, _, err := b.svc.ListNotificationLogs(b.ctx, app.AccountScope(b.acc.ID), n.ID, keygate.Page{})
	require.NoError(t, err)
	require.NotEmpty(t, logs)
	require.Less(t, len(logs), got, "the attempt that could not be recorded has no log")
	require.Less(t, store.fails.Load(), int64(0))
}
