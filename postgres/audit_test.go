package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/postgres"
	"github.com/keygate/keygate/storetest"
)

// TestAuditTwoNodes runs two nodes on one database: their writers to one
// account's audit log don't fork its chain, and both nodes' retention jobs
// pruning at once delete each old entry once and leave a chain that
// verifies.
func TestAuditTwoNodes(t *testing.T) {
	one := MustOpenDB(t)
	two, err := postgres.Open(context.Background(), one.url)
	require.NoError(t, err)
	t.Cleanup(func() { two.Close() })
	ctx := context.Background()
	clock := storetest.NewClock(storetest.T0)
	nodes := []*app.Service{{Store: one, Now: clock.Now}, {Store: two, Now: clock.Now}}
	acc, err := nodes[0].CreateAccount(ctx, keygate.AccountCreate{Environment: keygate.Live, Name: "Acme"})
	require.NoError(t, err)

	write := func(n int) {
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, errs[i] = nodes[i%2].CreateAPIKey(ctx, app.OperatorScope(), acc.ID, keygate.APIKeyCreate{Name: fmt.Sprint(i), Permissions: []keygate.Permission{"customer.read"}})
			}()
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
	}
	write(20)
	settle(t, nodes) // the old entries chained before the new ones are written
	clock.Add(48 * time.Hour)
	write(6)

	// Both nodes prune at once, in small batches, while a third writer
	// goes on.
	var wg sync.WaitGroup
	pruned := make([]int, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pruned[i], errs[i] = nodes[i].PruneAuditLog(ctx, storetest.T0.Add(24*time.Hour), 3)
		}()
	}
	write(4)
	wg.Wait()
	require.NoError(t, errs[0])
	require.NoError(t, errs[1])
	require.Equal(t, 20, pruned[0]+pruned[1], "each old entry deleted once, by one node or the other")

	// Each node chains the entries written through it, just after their
	// writers return; a read through a node waits for its own only.
	settle(t, nodes)
	for _, node := range nodes {
		states, err := node.VerifyAuditLog(ctx, &acc.ID)
		require.NoError(t, err)
		require.Len(t, states, 1)
		require.Nil(t, states[0].Break)
		require.Equal(t, 10, states[0].Checked)
		require.Equal(t, int64(30), states[0].Head.Seq)
		require.Equal(t, int64(20), states[0].Head.PrunedSeq)
	}
}

// settle waits until each node has chained the entries and numbered the
// changes written through it (each node does its own, just after commit).
func settle(t *testing.T, nodes []*app.Service) {
	t.Helper()
	for _, node := range nodes {
		storetest.Settle(t, node.Store)
	}
}
