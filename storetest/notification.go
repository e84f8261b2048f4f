package storetest

import (
	"bytes"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/wire"
)

// mustDestination creates a webhook destination of account a subscribed to
// events.
func (b *bundle) mustDestination(t *testing.T, a *keygate.Account, events ...keygate.EventType) *keygate.NotificationSetting {
	t.Helper()
	s, err := b.svc.CreateNotificationSetting(b.ctx, app.AccountScope(a.ID), a.ID, keygate.NotificationSettingCreate{
		Description: "hooks", Type: keygate.DestinationURL, Destination: "https://hooks.example.com/keygate", SubscribedEvents: events,
	})
	require.NoError(t, err)
	return s
}

// notifications returns every notification of a, oldest first.
func (b *bundle) notifications(t *testing.T, a *keygate.Account) []*keygate.Notification {
	t.Helper()
	list, _, err := b.svc.ListNotifications(b.ctx, app.AccountScope(a.ID), keygate.NotificationFilter{Page: keygate.Page{Limit: keygate.MaxPageSize}})
	require.NoError(t, err)
	return list
}

func testNotificationSettings(t *testing.T, h Harness) {
	b := setup(t, h)
	a, other := b.mustAccount(t, keygate.Live), b.mustAccount(t, keygate.Live)
	sc := app.AccountScope(a.ID)
	s := b.mustDestination(t, a, keygate.EventAPIKeyRevoked)
	require.Regexp(t, `^pdl_ntfset_[a-z\d]{26}_[a-zA-Z\d]{32}$`, s.Secret)

	got, err := b.svc.GetNotificationSetting(b.ctx, sc, s.ID)
	require.NoError(t, err)
	require.Equal(t, s.Secret, got.Secret, "the secret reads back")
	require.False(t, bytes.Contains(h.Dump(t, b.store), []byte(s.Secret)), "the secret is sealed at rest")

	off := false
	events := []keygate.EventType{keygate.EventAPIKeyCreated}
	got, err = b.svc.UpdateNotificationSetting(b.ctx, sc, s.ID, keygate.NotificationSettingUpdate{Active: &off, SubscribedEvents: &events})
	require.NoError(t, err)
	require.False(t, got.Active)
	active := false
	list, total, err := b.svc.ListNotificationSettings(b.ctx, sc, keygate.NotificationSettingFilter{Active: &active})
	require.NoError(t, err)
	require.Equal(t, 1, total)
	require.Equal(t, events, list[0].SubscribedEvents)

	_, err = b.svc.GetNotificationSetting(b.ctx, app.AccountScope(other.ID), s.ID)
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err))
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(b.svc.DeleteNotificationSetting(b.ctx, app.AccountScope(other.ID), s.ID)))

	require.NoError(t, b.svc.DeleteNotificationSetting(b.ctx, sc, s.ID))
	_, err = b.svc.GetNotificationSetting(b.ctx, sc, s.ID)
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err))
}

// testFanOut checks that each event makes one notification per destination
// that wants it, with Paddle's webhook body, in the event's transaction.
func testFanOut(t *testing.T, h Harness) {
	b := setup(t, h)
	a := b.mustAccount(t, keygate.Live)
	revokes := b.mustDestination(t, a, keygate.EventAPIKeyRevoked)
	both := b.mustDestination(t, a, keygate.EventAPIKeyCreated, keygate.EventAPIKeyRevoked)
	inactive := b.mustDestination(t, a, keygate.EventAPIKeyCreated)
	off := false
	_, err := b.svc.UpdateNotificationSetting(b.ctx, app.AccountScope(a.ID), inactive.ID, keygate.NotificationSettingUpdate{Active: &off})
	require.NoError(t, err)
	other := b.mustAccount(t, keygate.Live)
	b.mustDestination(t, other, keygate.EventAPIKeyCreated)

	k, _ := b.mustKey(t, a, "k")
	_, err = b.svc.RevokeAPIKey(b.ctx, app.AccountScope(a.ID), k.ID)
	require.NoError(t, err)

	list := b.notifications(t, a)
	got := map[string][]keygate.EventType{}
	for _, n := range list {
		got[n.SettingID] = append(got[n.SettingID], n.Type)
		require.Equal(t, keygate.NotificationNotAttempted, n.Status)
		require.Equal(t, keygate.OriginEvent, n.Origin)
		require.NotNil(t, n.RetryAt, "due at once")
		var body wire.Webhook
		require.NoError(t, json.Unmarshal(n.Payload, &body))
		require.Equal(t, n.ID, body.NotificationID)
		require.Equal(t, n.EventID, body.EventID)
		require.Equal(t, string(n.Type), body.EventType)
		var data wire.APIKey
		require.NoError(t, json.Unmarshal(body.Data, &data))
		require.Equal(t, k.ID, data.ID)
	}
	require.Equal(t, map[string][]keygate.EventType{
		revokes.ID: {keygate.EventAPIKeyRevoked},
		both.ID:    {keygate.EventAPIKeyCreated, keygate.EventAPIKeyRevoked},
	}, got)
	require.Empty(t, b.notifications(t, other), "another account's destinations hear nothing")

	byDest, total, err := b.svc.ListNotifications(b.ctx, app.AccountScope(a.ID), keygate.NotificationFilter{SettingID: both.ID})
	require.NoError(t, err)
	require.Equal(t, 2, total)
	require.Len(t, byDest, 2)

	require.NoError(t, b.svc.DeleteNotificationSetting(b.ctx, app.AccountScope(a.ID), both.ID))
	require.Len(t, b.notifications(t, a), 1, "a deleted destination's notifications go with it")
}

// testClaims checks that a claimed notification is not claimed again until
// its lease ends, and that attempts are recorded.
func testClaims(t *testing.T, h Harness) {
	b := setup(t, h)
	a := b.mustAccount(t, keygate.Live)
	dest := b.mustDestination(t, a, keygate.EventAPIKeyCreated)
	for range 3 {
		b.mustKey(t, a, "k")
	}
	now := b.clock.Now()
	var skip []string
	claim := func(at time.Time, limit int) []*keygate.Notification {
		var got []*keygate.Notification
		require.NoError(t, b.store.Update(b.ctx, func(tx keygate.Tx) (err error) {
			got, err = tx.ClaimNotifications(b.ctx, at, at.Add(30*time.Second), limit, skip)
			return err
		}))
		return got
	}
	skip = []string{dest.ID}
	require.Empty(t, claim(now, 10), "a skipped destination's notifications are not claimed")
	skip = nil
	first := claim(now, 2)
	require.Len(t, first, 2)
	second := claim(now, 10)
	require.Len(t, second, 1, "claimed ones are not claimed again")
	require.NotContains(t, []string{first[0].ID, first[1].ID}, second[0].ID)
	require.Empty(t, claim(now.Add(29*time.Second), 10))
	require.Len(t, claim(now.Add(30*time.Second), 10), 3, "a lapsed claim is taken again: a dead dispatcher loses nothing")

	n := first[0]
	n.RecordAttempt(now, false, keygate.LiveRetries)
	require.NoError(t, b.store.Update(b.ctx, func(tx keygate.Tx) error {
		if err := tx.UpdateNotification(b.ctx, n); err != nil {
			return err
		}
		return tx.CreateNotificationLog(b.ctx, &keygate.NotificationLog{ID: "ntflog_01jkdpbhazdpn3wpcya45as9tg", NotificationID: n.ID,
			AccountID: a.ID, ResponseCode: 500, ResponseBody: "boom", AttemptedAt: now})
	}))
	got, err := b.svc.GetNotification(b.ctx, app.AccountScope(a.ID), n.ID)
	require.NoError(t, err)
	require.Equal(t, keygate.NotificationNeedsRetry, got.Status)
	require.Equal(t, 1, got.TimesAttempted)
	require.Equal(t, now.Add(time.Minute), *got.RetryAt)
	logs, total, err := b.svc.ListNotificationLogs(b.ctx, app.AccountScope(a.ID), n.ID, keygate.Page{})
	require.NoError(t, err)
	require.Equal(t, 1, total)
	require.Equal(t, 500, logs[0].ResponseCode)
	for _, c := range claim(now.Add(59*time.Second), 10) {
		require.NotEqual(t, n.ID, c.ID, "a retry is not due before its time")
	}
}

// testReplay checks Paddle's replay rules.
func testReplay(t *testing.T, h Harness) {
	b := setup(t, h)
	a := b.mustAccount(t, keygate.Sandbox)
	sc := app.AccountScope(a.ID)
	b.mustDestination(t, a, keygate.EventAPIKeyCreated)
	b.mustKey(t, a, "k")
	n := b.notifications(t, a)[0]
	_, err := b.svc.ReplayNotification(b.ctx, sc, n.ID)
	require.Equal(t, keygate.CodeCannotReplay, keygate.ErrorCode(err), "not delivered or failed yet")

	n.RecordAttempt(b.clock.Now(), true, keygate.SandboxRetries)
	require.NoError(t, b.store.Update(b.ctx, func(tx keygate.Tx) error { return tx.UpdateNotification(b.ctx, n) }))
	replay, err := b.svc.ReplayNotification(b.ctx, sc, n.ID)
	require.NoError(t, err)
	require.Equal(t, keygate.OriginReplay, replay.Origin)
	require.Equal(t, n.EventID, replay.EventID)
	require.Equal(t, keygate.NotificationNotAttempted, replay.Status)
	orig, err := b.svc.GetNotification(b.ctx, sc, n.ID)
	require.NoError(t, err)
	require.Equal(t, b.clock.Now(), *orig.ReplayedAt)

	replay.RecordAttempt(b.clock.Now(), true, keygate.SandboxRetries)
	require.NoError(t, b.store.Update(b.ctx, func(tx keygate.Tx) error { return tx.UpdateNotification(b.ctx, replay) }))
	_, err = b.svc.ReplayNotification(b.ctx, sc, replay.ID)
	require.Equal(t, keygate.CodeReplayInvalidOrigin, keygate.ErrorCode(err))
	_, err = b.svc.ReplayNotification(b.ctx, app.AccountScope(b.mustAccount(t, keygate.Sandbox).ID), n.ID)
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err))
}

// testExpiryNotices runs the expiry scan from many goroutines at once, as
// several nodes would: each key gets api_key.expiring and api_key.expired
// exactly once, and a key past its expiry during downtime gets both, late.
func testExpiryNotices(t *testing.T, h Harness) {
	b := setup(t, h)
	a := b.mustAccount(t, keygate.Live)
	b.mustDestination(t, a, keygate.EventAPIKeyExpiring, keygate.EventAPIKeyExpired)
	soon, _, err := b.svc.CreateAPIKey(b.ctx, app.AccountScope(a.ID), a.ID, keygate.APIKeyCreate{Name: "soon", Permissions: []keygate.Permission{"price.read"}, ExpiresAt: ptr(T0.Add(10 * 24 * time.Hour))})
	require.NoError(t, err)
	late, _, err := b.svc.CreateAPIKey(b.ctx, app.AccountScope(a.ID), a.ID, keygate.APIKeyCreate{Name: "late", Permissions: []keygate.Permission{"price.read"}, ExpiresAt: ptr(T0.Add(11 * 24 * time.Hour))})
	require.NoError(t, err)
	revoked, _ := b.mustKey(t, a, "revoked")
	_, err = b.svc.RevokeAPIKey(b.ctx, app.AccountScope(a.ID), revoked.ID)
	require.NoError(t, err)

	scan := func() int {
		var wg sync.WaitGroup
		var mu sync.Mutex
		total := 0
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := b.svc.NotifyExpiries(b.ctx)
				require.NoError(t, err)
				mu.Lock()
				total += n
				mu.Unlock()
			}()
		}
		wg.Wait()
		return total
	}
	require.Zero(t, scan(), "nothing is due 10 days ahead")
	b.clock.Add(3 * 24 * time.Hour) // soon is within 7 days of its expiry
	require.Equal(t, 1, scan())
	require.Zero(t, scan(), "once")
	b.clock.Add(30 * 24 * time.Hour) // down for a month: everything is late
	require.Equal(t, 3, scan(), "soon expired; late noticed and expired, in that order")
	require.Zero(t, scan())

	var got []string
	for _, e := range b.events(t, a) {
		if e.Type == keygate.EventAPIKeyExpiring || e.Type == keygate.EventAPIKeyExpired {
			got = append(got, e.EntityID+" "+string(e.Type))
		}
	}
	require.Equal(t, []string{
		soon.ID + " api_key.expiring", soon.ID + " api_key.expired",
		late.ID + " api_key.expiring", late.ID + " api_key.expired",
	}, got)
	k, err := b.svc.GetAPIKey(b.ctx, app.AccountScope(a.ID), soon.ID)
	require.NoError(t, err)
	require.Equal(t, keygate.APIKeyExpired, k.Status, "the stored status caught up")
	require.Len(t, b.notifications(t, a), 4)
}
