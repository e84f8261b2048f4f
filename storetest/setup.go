package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
)

// testSetupLinks checks the first-run set-up links: kept in the store, so
// any process may redeem them, and redeemed once, by exactly one of many
// concurrent set-ups, whichever links they use.
func testSetupLinks(t *testing.T, h Harness) {
	b := setup(t, h)
	user := keygate.UserCreate{Email: "ada@example.com", Password: "a long password"}
	live := keygate.AccountCreate{Environment: keygate.Live, Name: "Acme"}

	link, err := b.svc.NewSetupLink(b.ctx, keygate.Live)
	require.NoError(t, err)
	require.NoError(t, b.svc.ValidSetupLink(b.ctx, keygate.Live, link))
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(b.svc.ValidSetupLink(b.ctx, keygate.Sandbox, link)), "another environment's link")
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(b.svc.ValidSetupLink(b.ctx, keygate.Live, "nope")))

	// Bad input and the wrong environment leave the link unused.
	_, _, err = b.svc.SetUp(b.ctx, link, live, keygate.UserCreate{Email: "ada@example.com", Password: "short"})
	require.Equal(t, keygate.CodeInvalidField, keygate.ErrorCode(err))
	_, _, err = b.svc.SetUp(b.ctx, link, keygate.AccountCreate{Environment: keygate.Sandbox, Name: "Acme"}, user)
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err))
	require.NoError(t, b.svc.ValidSetupLink(b.ctx, keygate.Live, link))

	// An expired link does nothing.
	expired, err := b.svc.NewSetupLink(b.ctx, keygate.Live)
	require.NoError(t, err)
	b.clock.Add(app.SetupLifetime)
	_, _, err = b.svc.SetUp(b.ctx, expired, live, user)
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err))

	// Many set-ups at once, half with one link and half with another:
	// exactly one succeeds, and every link is used up.
	one, err := b.svc.NewSetupLink(b.ctx, keygate.Live)
	require.NoError(t, err)
	two, err := b.svc.NewSetupLink(b.ctx, keygate.Live)
	require.NoError(t, err)
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := one
			if i%2 == 1 {
				l = two
			}
			u := keygate.UserCreate{Email: fmt.Sprintf("ada%d@example.com", i), Password: user.Password}
			_, _, errs[i] = b.svc.SetUp(b.ctx, l, live, u)
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
			continue
		}
		require.Contains(t, []string{keygate.CodeNotFound, keygate.CodeConflict}, keygate.ErrorCode(err), "%v", err)
	}
	require.Equal(t, 1, won, "exactly one set-up succeeds: %v", errs)
	for _, l := range []string{one, two} {
		require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(b.svc.ValidSetupLink(b.ctx, keygate.Live, l)), "a link is used up")
	}
	require.NoError(t, b.store.View(b.ctx, func(tx keygate.Tx) error {
		n, err := tx.CountUsers(b.ctx, keygate.Live)
		require.Equal(t, 1, n)
		return err
	}))
}
