package auth_test

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/auth"
	"github.com/keygate/keygate/postgres"
	"github.com/keygate/keygate/sqlite"
	"github.com/keygate/keygate/storetest"
)

// propagation checks that a change made through other (a store on its own
// connections, as another process has) is in force in a verifier on mine
// within a second, by the change feed alone.
func propagation(t *testing.T, mine, other keygate.Store, poll time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	v := auth.New(auth.Config{Store: mine, PollInterval: poll})
	done := make(chan struct{})
	go func() {
		defer close(done)
		v.Run(ctx)
	}()
	defer func() { cancel(); <-done }()
	require.Eventually(t, v.Started, 5*time.Second, time.Millisecond)

	svc := app.New(other)
	acc, err := svc.CreateAccount(ctx, keygate.AccountCreate{Environment: keygate.Live, Name: "Acme"})
	require.NoError(t, err)
	header := "Bearer "
	k, token, err := svc.CreateAPIKey(ctx, app.AccountScope(acc.ID), acc.ID, keygate.APIKeyCreate{Name: "k", Permissions: []keygate.Permission{"customer.read"}})
	require.NoError(t, err)
	header += token
	check := func() error {
		_, err := v.Authenticate(ctx, keygate.Live, header, keygate.PermissionBit("customer.read"))
		return err
	}
	require.NoError(t, check())

	_, err = svc.RevokeAPIKey(ctx, app.AccountScope(acc.ID), k.ID)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return check() == auth.ErrInvalidToken }, time.Second, 5*time.Millisecond,
		"a key revoked elsewhere must stop working here within a second")

	_, err = svc.ReactivateAPIKey(ctx, app.AccountScope(acc.ID), k.ID)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return check() == nil }, time.Second, 5*time.Millisecond,
		"a key reactivated elsewhere must work here again within a second")

	_, err = svc.UpdateAPIKey(ctx, app.AccountScope(acc.ID), k.ID, keygate.APIKeyUpdate{Permissions: &[]keygate.Permission{"price.read"}})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return check() == auth.ErrForbidden }, time.Second, 5*time.Millisecond,
		"a permission removed elsewhere must be refused here within a second")
}

func TestPropagationSQLite(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), sqlite.FileName)
	mine, err := sqlite.Open(context.Background(), path)
	require.NoError(t, err)
	defer mine.Close()
	other, err := sqlite.Open(context.Background(), path)
	require.NoError(t, err)
	defer other.Close()
	propagation(t, mine, other, 0)
}

// TestPropagationPostgres polls only every 10 s, so the change must arrive by
// LISTEN/NOTIFY.
func TestPropagationPostgres(t *testing.T) {
	t.Parallel()
	u, _ := storetest.PostgresSchema(t)
	mine, err := postgres.Open(context.Background(), u)
	require.NoError(t, err)
	defer mine.Close()
	other, err := postgres.Open(context.Background(), u)
	require.NoError(t, err)
	defer other.Close()
	propagation(t, mine, other, 10*time.Second)
}

// hidingStore is a PostgreSQL store whose change feed never shows the
// changes of the credential hidden names.
type hidingStore struct {
	*postgres.DB
	hidden *atomic.Pointer[string]
}

func (s hidingStore) View(ctx context.Context, fn func(keygate.Tx) error) error {
	return s.DB.View(ctx, func(tx keygate.Tx) error { return fn(hidingTx{tx, s.hidden}) })
}

func (s hidingStore) ReadDirect(ctx context.Context, fn func(keygate.Tx) error) error {
	return s.DB.ReadDirect(ctx, func(tx keygate.Tx) error { return fn(hidingTx{tx, s.hidden}) })
}

type hidingTx struct {
	keygate.Tx
	hidden *atomic.Pointer[string]
}

func (tx hidingTx) FindChanges(ctx context.Context, after int64, limit int) ([]keygate.Change, error) {
	changes, err := tx.Tx.FindChanges(ctx, after, limit)
	if h := tx.hidden.Load(); h != nil {
		changes = slices.DeleteFunc(changes, func(c keygate.Change) bool { return c.CredentialID == *h })
	}
	return changes, err
}

// TestPropagationByNotice checks that a change named by a notice is in
// force at once, without the read of the feed: here the feed never shows
// the key's changes, so a revocation elsewhere can only arrive by the
// notice that names the key.
func TestPropagationByNotice(t *testing.T) {
	t.Parallel()
	u, _ := storetest.PostgresSchema(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := postgres.Open(ctx, u)
	require.NoError(t, err)
	defer db.Close()
	other, err := postgres.Open(ctx, u)
	require.NoError(t, err)
	defer other.Close()
	mine := hidingStore{DB: db, hidden: &atomic.Pointer[string]{}}
	v := auth.New(auth.Config{Store: mine, PollInterval: 10 * time.Second})
	done := make(chan struct{})
	go func() {
		defer close(done)
		v.Run(ctx)
	}()
	defer func() { cancel(); <-done }()
	require.Eventually(t, v.Started, 30*time.Second, time.Millisecond)

	svc := app.New(other)
	acc, err := svc.CreateAccount(ctx, keygate.AccountCreate{Environment: keygate.Live, Name: "Acme"})
	require.NoError(t, err)
	k, token, err := svc.CreateAPIKey(ctx, app.AccountScope(acc.ID), acc.ID, keygate.APIKeyCreate{Name: "k", Permissions: []keygate.Permission{"customer.read"}})
	require.NoError(t, err)
	storetest.Settle(t, other)
	var seq int64
	require.NoError(t, other.View(ctx, func(tx keygate.Tx) (err error) { seq, err = tx.LastChangeSeq(ctx); return err }))
	require.Eventually(t, func() bool { return v.FollowedTo() >= seq }, 30*time.Second, time.Millisecond, "the key's creation is read")
	mine.hidden.Store(&k.ID)
	check := func() error {
		_, err := v.Authenticate(ctx, keygate.Live, "Bearer "+token, keygate.PermissionBit("customer.read"))
		return err
	}
	require.NoError(t, check(), "cached now")
	_, err = svc.RevokeAPIKey(ctx, app.AccountScope(acc.ID), k.ID)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return check() == auth.ErrInvalidToken }, 30*time.Second, 5*time.Millisecond,
		"the notice naming the key makes it forgotten, though the feed never shows its change")
}

// TestLastUsed checks that uses are written in batches, never on the
// request, with the time of the latest use.
func TestLastUsed(t *testing.T) {
	t.Parallel()
	ctx, svc, v, clock, k, token, stop := flushing(t)
	require.Nil(t, k.LastUsedAt)

	lastUsed := func() *time.Time {
		got, err := svc.GetAPIKey(context.Background(), app.OperatorScope(), k.ID)
		require.NoError(t, err)
		return got.LastUsedAt
	}
	for range 3 {
		clock.Add(time.Second)
		_, err := v.Authenticate(ctx, keygate.Sandbox, "Bearer "+token, 0)
		require.NoError(t, err)
	}
	want := clock.Now()
	require.Eventually(t, func() bool { lu := lastUsed(); return lu != nil && lu.Equal(want) }, 5*time.Second, 10*time.Millisecond)
	usage, err := svc.APIKeyUsage(context.Background(), app.OperatorScope(), k.ID, want.Add(-time.Hour))
	require.NoError(t, err)
	var requests int64
	for _, u := range usage {
		requests += u.Requests
	}
	require.Equal(t, int64(3), requests, "each request counted, with no write per request")

	// A use just before shutdown is written by Run on its way out.
	clock.Add(time.Minute)
	_, err = v.Authenticate(ctx, keygate.Sandbox, "Bearer "+token, 0)
	require.NoError(t, err)
	stop()
	require.Equal(t, clock.Now(), *lastUsed())
}

// TestForbiddenCounted checks that a request refused for want of a
// permission is counted, and written with the batch of last uses, beside
// the requests served, without counting as a use.
func TestForbiddenCounted(t *testing.T) {
	t.Parallel()
	ctx, svc, v, clock, k, token, stop := flushing(t)
	usage := func() (requests, forbidden int64) {
		list, err := svc.APIKeyUsage(context.Background(), app.OperatorScope(), k.ID, clock.Now().Add(-time.Hour))
		require.NoError(t, err)
		for _, u := range list {
			requests, forbidden = requests+u.Requests, forbidden+u.Forbidden
		}
		return requests, forbidden
	}

	_, err := v.Authenticate(ctx, keygate.Sandbox, "Bearer "+token, keygate.PermissionBit("customer.read"))
	require.NoError(t, err)
	for range 2 {
		_, err = v.Authenticate(ctx, keygate.Sandbox, "Bearer "+token, keygate.PermissionBit("customer.write"))
		require.Equal(t, auth.ErrForbidden, err)
	}
	require.Eventually(t, func() bool { r, f := usage(); return r == 1 && f == 2 }, 5*time.Second, 10*time.Millisecond,
		"one request served and two refused")

	// Refusals alone: counted, and the last use stays the served request's.
	used := clock.Now()
	clock.Add(time.Minute)
	_, err = v.Authenticate(ctx, keygate.Sandbox, "Bearer "+token, keygate.PermissionBit("customer.write"))
	require.Equal(t, auth.ErrForbidden, err)
	require.Eventually(t, func() bool { _, f := usage(); return f == 3 }, 5*time.Second, 10*time.Millisecond)
	got, err := svc.GetAPIKey(context.Background(), app.OperatorScope(), k.ID)
	require.NoError(t, err)
	require.True(t, got.LastUsedAt.Equal(used), "a refusal is not a use")

	// A refusal just before shutdown is written by Run on its way out.
	_, err = v.Authenticate(ctx, keygate.Sandbox, "Bearer "+token, keygate.PermissionBit("customer.write"))
	require.Equal(t, auth.ErrForbidden, err)
	stop()
	_, f := usage()
	require.Equal(t, int64(4), f)
}

// flushing starts a verifier on a fresh SQLite store that writes last uses
// every 50 ms, with a sandbox key holding customer.read. stop ends the
// verifier and waits until Run has written what it still held.
func flushing(t *testing.T) (ctx context.Context, svc *app.Service, v *auth.Verifier, clock *storetest.Clock, k *keygate.APIKey, token string, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), sqlite.FileName))
	require.NoError(t, err)
	clock = storetest.NewClock(time.Now().UTC().Truncate(time.Microsecond))
	svc = &app.Service{Store: db, Now: clock.Now}
	v = auth.New(auth.Config{Store: db, Now: clock.Now, FlushInterval: 50 * time.Millisecond})
	done := make(chan struct{})
	go func() {
		defer close(done)
		v.Run(ctx)
	}()
	stop = sync.OnceFunc(func() { cancel(); <-done })
	t.Cleanup(func() { stop(); db.Close() })
	require.Eventually(t, v.Started, 5*time.Second, time.Millisecond)
	acc, err := svc.CreateAccount(ctx, keygate.AccountCreate{Environment: keygate.Sandbox, Name: "Acme"})
	require.NoError(t, err)
	k, token, err = svc.CreateAPIKey(ctx, app.AccountScope(acc.ID), acc.ID, keygate.APIKeyCreate{Name: "k", Permissions: []keygate.Permission{"customer.read"}})
	require.NoError(t, err)
	return ctx, svc, v, clock, k, token, stop
}
