package keygate_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
)

// TestRetrySchedules checks the schedules against Paddle's figures: sandbox
// 3 retries within 15 minutes; live 60 within 3 days, 20 in the first hour.
func TestRetrySchedules(t *testing.T) {
	t.Parallel()
	run := func(r keygate.RetrySchedule) (attempts []time.Duration, final keygate.NotificationStatus) {
		n := &keygate.Notification{}
		for n.Status != keygate.NotificationFailed {
			at := t0
			if n.RetryAt != nil {
				at = *n.RetryAt
			}
			attempts = append(attempts, at.Sub(t0))
			n.RecordAttempt(at, false, r)
		}
		return attempts, n.Status
	}
	sandbox, status := run(keygate.SandboxRetries)
	require.Equal(t, keygate.NotificationFailed, status)
	require.Len(t, sandbox, 4, "the first attempt and 3 retries")
	require.LessOrEqual(t, sandbox[3], 15*time.Minute)

	live, _ := run(keygate.LiveRetries)
	require.Len(t, live, 61)
	require.LessOrEqual(t, live[60], 3*24*time.Hour)
	inFirstHour := 0
	for _, d := range live[1:] {
		if d <= time.Hour {
			inFirstHour++
		}
	}
	require.Equal(t, 20, inFirstHour)

	n := &keygate.Notification{}
	n.RecordAttempt(t0, false, keygate.LiveRetries)
	n.RecordAttempt(t0.Add(time.Minute), true, keygate.LiveRetries)
	require.Equal(t, keygate.NotificationDelivered, n.Status)
	require.Equal(t, 2, n.TimesAttempted)
	require.Nil(t, n.RetryAt)
	require.Equal(t, t0.Add(time.Minute), *n.DeliveredAt)
}

func TestCanReplay(t *testing.T) {
	t.Parallel()
	n := &keygate.Notification{ID: "ntf_x", Status: keygate.NotificationDelivered, Origin: keygate.OriginEvent, OccurredAt: t0}
	require.NoError(t, n.CanReplay(t0.Add(time.Hour)))
	require.Equal(t, keygate.CodeCannotReplay, keygate.ErrorCode(n.CanReplay(t0.Add(91*24*time.Hour))))
	n.Status = keygate.NotificationNeedsRetry
	require.Equal(t, keygate.CodeCannotReplay, keygate.ErrorCode(n.CanReplay(t0)))
	n.Status, n.Origin = keygate.NotificationFailed, keygate.OriginReplay
	require.Equal(t, keygate.CodeReplayInvalidOrigin, keygate.ErrorCode(n.CanReplay(t0)))
}

func TestExpiryNotices(t *testing.T) {
	t.Parallel()
	k := activeKey()
	notice := k.ExpiresAt.Add(-keygate.ExpiringNotice)
	require.False(t, k.ExpiringNoticeDue(notice.Add(-time.Nanosecond)))
	require.True(t, k.ExpiringNoticeDue(notice))
	require.True(t, k.ExpiringNoticeDue(k.ExpiresAt.Add(time.Hour)), "late rather than never")
	k.ExpiringNoticeAt = &notice
	require.False(t, k.ExpiringNoticeDue(notice), "once")
	require.False(t, k.ExpiryDue(k.ExpiresAt.Add(-time.Nanosecond)))
	require.True(t, k.ExpiryDue(*k.ExpiresAt))
	require.NoError(t, k.Revoke(t0, keygate.RevokedByUser))
	require.False(t, k.ExpiryDue(k.ExpiresAt.Add(time.Hour)), "a revoked key does not expire")
}

func TestNotificationSetting(t *testing.T) {
	t.Parallel()
	s, err := keygate.NewNotificationSetting(keygate.NotificationSettingCreate{
		Description: "Ops", Type: keygate.DestinationURL, Destination: "https://hooks.example.com/paddle",
		SubscribedEvents: []keygate.EventType{keygate.EventAPIKeyRevoked, keygate.EventAPIKeyRevoked},
	}, t0)
	require.NoError(t, err)
	require.True(t, s.Active)
	require.Equal(t, 1, s.APIVersion)
	require.Equal(t, keygate.TrafficPlatform, s.TrafficSource)
	require.Equal(t, []keygate.EventType{keygate.EventAPIKeyRevoked}, s.SubscribedEvents)
	require.True(t, s.Wants(keygate.EventAPIKeyRevoked))
	require.False(t, s.Wants(keygate.EventAPIKeyCreated))

	inactive := false
	require.NoError(t, s.Apply(t0, keygate.NotificationSettingUpdate{Active: &inactive}))
	require.False(t, s.Wants(keygate.EventAPIKeyRevoked))

	_, err = keygate.NewNotificationSetting(keygate.NotificationSettingCreate{Type: "sms", Destination: "x"}, t0)
	require.Equal(t, keygate.CodeInvalidField, keygate.ErrorCode(err))
	var fields []string
	for _, f := range keygate.ErrorFields(err) {
		fields = append(fields, f.Field)
	}
	require.Equal(t, []string{"type", "description", "subscribed_events"}, fields)

	_, err = keygate.NewNotificationSetting(keygate.NotificationSettingCreate{Description: "d", Type: keygate.DestinationEmail,
		Destination: "not-an-address", SubscribedEvents: []keygate.EventType{"nope.happened"}}, t0)
	require.Len(t, keygate.ErrorFields(err), 2)
}
