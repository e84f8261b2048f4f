package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
)

// TestRequestCountsPruned checks that a node's shares delete the counts of
// windows long past (a key's after two hours, others after five minutes)
// and the nodes not seen for an hour, once every five minutes of their
// time, whatever second the shares fall on; and that recent counts stay.
func TestRequestCountsPruned(t *testing.T) {
	t.Parallel()
	db := MustOpenDB(t)
	ctx := context.Background()
	t0 := time.Date(2026, 12, 7, 10, 2, 17, 0, time.UTC) // not on a five-minute mark
	add := func(now time.Time, counts ...keygate.RequestCount) {
		t.Helper()
		_, _, err := db.AddRequestCounts(ctx, "node-a", counts, now)
		require.NoError(t, err)
	}
	count := func(scope string) int {
		return countOf(t, db.Writer(), `SELECT count(*) FROM rate_limit_counts WHERE scope = $1`, scope)
	}
	add(t0, keygate.RequestCount{Scope: "live", Client: "192.0.2.1", Window: t0.Truncate(time.Minute), Requests: 3},
		keygate.RequestCount{Scope: "api_key", Client: "apikey_a", Window: t0.Truncate(time.Hour), Requests: 3})
	_, _, err := db.AddRequestCounts(ctx, "node-gone", nil, t0)
	require.NoError(t, err)

	t1 := t0.Add(20 * time.Minute).Add(3 * time.Second)
	add(t1, keygate.RequestCount{Scope: "live", Client: "192.0.2.1", Window: t1.Truncate(time.Minute), Requests: 1})
	require.Equal(t, 1, count("live"), "the IP's count of 20 minutes ago deleted, this minute's kept")
	require.Equal(t, 1, count("api_key"), "a key's hour-long window is kept for two hours")
	require.Equal(t, 2, countOf(t, db.Writer(), `SELECT count(*) FROM cluster_nodes`))

	t2 := t0.Add(3 * time.Hour).Add(41 * time.Second)
	add(t2, keygate.RequestCount{Scope: "live", Client: "192.0.2.2", Window: t2.Truncate(time.Minute), Requests: 1})
	require.Equal(t, 1, count("live"))
	require.Zero(t, count("api_key"), "a key's count three hours old deleted")
	require.Equal(t, 1, countOf(t, db.Writer(), `SELECT count(*) FROM cluster_nodes`), "the node not seen for hours deleted")
}
