package api

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/postgres"
	"github.com/keygate/keygate/storetest"
)

// TestSharedLimitsIdle checks that a node with nothing counted since its
// last share waits for its next heartbeat instead of ticking every
// interval (an idle node must not wake ten times a second), that the
// first request counted wakes it to share an interval later, and that
// the count is then shared.
func TestSharedLimitsIdle(t *testing.T) {
	t.Parallel()
	u, _ := storetest.PostgresSchema(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := postgres.Open(ctx, u)
	require.NoError(t, err)
	defer db.Close()
	s := NewSharedLimits(db, 50*time.Millisecond, nil)
	woken := func() bool {
		select {
		case <-s.wake:
			return true
		default:
			return false
		}
	}

	s.share(ctx, time.Now()) // the first heartbeat
	require.Equal(t, heartbeatEvery, s.nextShare(), "idle: the next heartbeat")
	require.False(t, woken())

	ip := netip.MustParseAddr("203.0.113.7")
	now := time.Now()
	require.NoError(t, s.allow("live", ip, 100, now))
	require.True(t, woken(), "the first request wakes it")
	require.Equal(t, s.interval, s.nextShare())
	require.NoError(t, s.allow("live", ip, 100, now))
	require.False(t, woken(), "woken once, not per request")

	s.share(ctx, now)
	require.Equal(t, heartbeatEvery, s.nextShare(), "idle again once shared")
	totals, _, err := db.AddRequestCounts(ctx, "another node", []keygate.RequestCount{{Scope: "live", Client: ip.String(), Window: now.Truncate(time.Minute), Requests: 0}}, now)
	require.NoError(t, err)
	require.Len(t, totals, 1)
	require.EqualValues(t, 2, totals[0].Requests, "both requests shared")
}
