package app_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/sqlite"
	"github.com/keygate/keygate/storetest"
)

// lockoutBundle is a service on a fresh SQLite store with one user,
// ada@example.com, on a controlled clock.
func lockoutBundle(t *testing.T) (*app.Service, *storetest.Clock) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), sqlite.FileName))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	clock := storetest.NewClock(time.Now().UTC().Truncate(time.Microsecond))
	svc := app.New(db)
	svc.Now = clock.Now
	// Room for every check of these tests, so that none is turned away:
	// under -race on a loaded machine one hash can take many seconds, and
	// these tests are about counting failures, not about the budget's wait.
	svc.HashBudget = credential.NewHashBudget(credential.DefaultHashBudget, time.Hour)
	acc, err := svc.CreateAccount(ctx, keygate.AccountCreate{Environment: keygate.Live, Name: "Acme"})
	require.NoError(t, err)
	_, err = svc.CreateUser(ctx, keygate.UserCreate{AccountID: acc.ID, Email: "ada@example.com", Password: "a long password"})
	require.NoError(t, err)
	return svc, clock
}

// TestLockoutCountsBeforeChecking sends 40 wrong guesses for one address at
// once, each from its own IP: exactly 10 are checked, the other 30 are
// refused unchecked, and the right password is then refused too until the
// window closes.
func TestLockoutCountsBeforeChecking(t *testing.T) {
	t.Parallel()
	svc, clock := lockoutBundle(t)
	ctx := context.Background()
	var checked, locked atomic.Int64
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := svc.SignIn(ctx, keygate.Live, "ada@example.com", "guess", fmt.Sprintf("203.0.113.%d", i))
			switch {
			case keygate.ErrorCode(err) == keygate.CodeForbidden:
				checked.Add(1)
			case errors.Is(err, app.ErrSignInLocked):
				locked.Add(1)
			default:
				t.Errorf("unexpected: %v", err)
			}
		}()
	}
	wg.Wait()
	require.EqualValues(t, app.SignInLockAfter, checked.Load(), "exactly 10 checked")
	require.EqualValues(t, 40-app.SignInLockAfter, locked.Load())

	_, _, err := svc.SignIn(ctx, keygate.Live, "ADA@example.com", "a long password", "192.0.2.1")
	require.ErrorIs(t, err, app.ErrSignInLocked, "locked even with the right password, whatever the spelling")
	require.Equal(t, "Too many failed sign-ins. Try again in 15 minutes.", keygate.ErrorMessage(err))
	_, _, err = svc.SignIn(ctx, keygate.Sandbox, "ada@example.com", "x", "192.0.2.1")
	require.Equal(t, keygate.CodeForbidden, keygate.ErrorCode(err), "the other environment is counted apart")

	clock.Add(app.SignInWindow)
	_, _, err = svc.SignIn(ctx, keygate.Live, "ada@example.com", "a long password", "192.0.2.1")
	require.NoError(t, err, "open again once the window closes")
}

// TestLockoutSuccessClears checks that a successful sign-in clears the
// address's count: failures before it do not add up with those after.
func TestLockoutSuccessClears(t *testing.T) {
	t.Parallel()
	svc, _ := lockoutBundle(t)
	ctx := context.Background()
	for range 2 {
		for range app.SignInLockAfter - 1 {
			_, _, err := svc.SignIn(ctx, keygate.Live, "ada@example.com", "guess", "192.0.2.1")
			require.Equal(t, keygate.CodeForbidden, keygate.ErrorCode(err))
		}
		_, _, err := svc.SignIn(ctx, keygate.Live, "ada@example.com", "a long password", "192.0.2.1")
		require.NoError(t, err)
	}
}

// TestLockoutPerIPSlowsDown makes one IP exceed its threshold with guesses
// at many addresses: each further failed attempt from it waits longer, but
// nobody is locked out: its users still sign in, after the wait. (A success
// takes its attempt off the IP's count, so only failures make it grow: the
// wait is asserted after failures, and only as a lower bound.)
func TestLockoutPerIPSlowsDown(t *testing.T) {
	t.Parallel()
	svc, _ := lockoutBundle(t)
	svc.SignInIPSlowAfter = 5
	ctx := context.Background()
	for i := range 5 {
		_, _, err := svc.SignIn(ctx, keygate.Live, fmt.Sprintf("user%d@example.com", i), "guess", "192.0.2.7")
		require.Equal(t, keygate.CodeForbidden, keygate.ErrorCode(err))
	}
	for i, want := range []time.Duration{250 * time.Millisecond, 500 * time.Millisecond} {
		start := time.Now()
		_, _, err := svc.SignIn(ctx, keygate.Live, fmt.Sprintf("other%d@example.com", i), "guess", "192.0.2.7")
		require.Equal(t, keygate.CodeForbidden, keygate.ErrorCode(err))
		require.GreaterOrEqual(t, time.Since(start), want, "failed attempt %d from that IP past the limit", i+1)
	}
	start := time.Now()
	_, _, err := svc.SignIn(ctx, keygate.Live, "ada@example.com", "a long password", "192.0.2.7")
	require.NoError(t, err, "slowed, not locked out")
	require.GreaterOrEqual(t, time.Since(start), 750*time.Millisecond, "the 8th attempt from that IP waited longer still")
}

// TestUnknownEmailCostsAHash checks that a sign-in for an e-mail address
// nobody has runs one argon2id check with the parameters of a real hash,
// as a sign-in for a user who exists does: the answer's time does not tell
// which addresses have users. Not parallel: it counts the process's hashes.
func TestUnknownEmailCostsAHash(t *testing.T) {
	svc, _ := lockoutBundle(t)
	ctx := context.Background()
	for _, email := range []string{"nobody@example.com", "ada@example.com"} {
		before := credential.PasswordHashes()
		_, _, err := svc.SignIn(ctx, keygate.Live, email, "guess", "192.0.2.7")
		require.Equal(t, keygate.CodeForbidden, keygate.ErrorCode(err), email)
		require.Equal(t, before+1, credential.PasswordHashes(), "%s: one argon2id check", email)
	}
	params := func(h string) string { return h[:strings.LastIndex(h[:strings.LastIndex(h, "$")], "$")] }
	require.Equal(t, params(credential.HashPassword("x")), params(credential.DecoyPasswordHash()), "the decoy's parameters are a real hash's")
}
