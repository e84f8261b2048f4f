package auth_test

import (
	"context"
	"net/netip"
	"path/filepath"
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

// warmEngines opens a store of each engine: SQLite, and PostgreSQL when the
// test server is set.
func warmEngines(t *testing.T, run func(t *testing.T, db keygate.Store)) {
	t.Run("SQLite", func(t *testing.T) {
		t.Parallel()
		db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), sqlite.FileName))
		require.NoError(t, err)
		t.Cleanup(func() { db.Close() })
		run(t, db)
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		t.Parallel()
		u, _ := storetest.PostgresSchema(t)
		db, err := postgres.Open(context.Background(), u)
		require.NoError(t, err)
		t.Cleanup(func() { db.Close() })
		run(t, db)
	})
}

// warmKeys is a set of keys for warm-up tests: used ones, and one of each
// kind that must not be warmed.
type warmKeys struct {
	svc                         *app.Service
	acc                         *keygate.Account
	clock                       *storetest.Clock
	tokens                      map[string]string // by key ID
	used                        []string          // in service and used, the most recent first
	revoked, expired, neverUsed string
	rotatable                   string
}

// makeWarmKeys makes keys and writes their last uses: three plain keys, a
// rotatable one, a revoked one, one that expires, all used, and one never
// used. The clock then moves past the expiry.
func makeWarmKeys(t *testing.T, db keygate.Store) *warmKeys {
	ctx := context.Background()
	clock := storetest.NewClock(time.Now().UTC().Truncate(time.Microsecond))
	w := &warmKeys{svc: &app.Service{Store: db, Now: clock.Now}, clock: clock, tokens: map[string]string{}}
	var err error
	w.acc, err = w.svc.CreateAccount(ctx, keygate.AccountCreate{Environment: keygate.Live, Name: "Acme"})
	require.NoError(t, err)
	sc := app.AccountScope(w.acc.ID)
	key := func(c keygate.APIKeyCreate) string {
		c.Name, c.Permissions = "k", []keygate.Permission{"customer.read"}
		k, token, err := w.svc.CreateAPIKey(ctx, sc, w.acc.ID, c)
		require.NoError(t, err)
		w.tokens[k.ID] = token
		return k.ID
	}
	plain := []string{key(keygate.APIKeyCreate{}), key(keygate.APIKeyCreate{}), key(keygate.APIKeyCreate{})}
	w.rotatable = key(keygate.APIKeyCreate{Rotatable: true})
	w.revoked = key(keygate.APIKeyCreate{})
	w.expired = key(keygate.APIKeyCreate{ExpiresAt: new(clock.Now().Add(time.Hour))})
	w.neverUsed = key(keygate.APIKeyCreate{})
	_, err = w.svc.RevokeAPIKey(ctx, sc, w.revoked)
	require.NoError(t, err)
	var uses []keygate.LastUse
	for i, id := range append([]string{w.revoked, w.expired, plain[0], plain[1], w.rotatable}, plain[2]) {
		uses = append(uses, keygate.LastUse{ID: id, At: clock.Now().Add(time.Duration(i) * time.Minute), Requests: 1})
	}
	require.NoError(t, db.Update(ctx, func(tx keygate.Tx) error { return tx.TouchAPIKeys(ctx, uses) }))
	w.used = []string{plain[2], w.rotatable, plain[1], plain[0]}
	clock.Add(2 * time.Hour)
	return w
}

// startWarm starts a verifier over store with warmKeys and waits until its
// warm-up has ended. svc's changes invalidate its cache.
func startWarm(t *testing.T, store keygate.Store, w *warmKeys, warmKeys int) *auth.Verifier {
	ctx, cancel := context.WithCancel(context.Background())
	v := auth.New(auth.Config{Store: store, Now: w.clock.Now, PollInterval: time.Hour, WarmKeys: warmKeys})
	w.svc.Changed = v.Invalidate
	done := make(chan struct{})
	go func() {
		defer close(done)
		v.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	select {
	case <-v.WarmDone():
	case <-time.After(time.Minute):
		t.Fatal("the warm-up did not end")
	}
	return v
}

// TestWarmServesFromCache checks that a starting verifier caches the keys
// used most recently, so that their first request reads nothing from the
// store, and that it caches no key that is revoked, expired or never used:
// those are read, and refused or served, as without a warm-up. The number
// of keys is bounded by WarmKeys.
func TestWarmServesFromCache(t *testing.T) {
	t.Parallel()
	warmEngines(t, func(t *testing.T, db keygate.Store) {
		w := makeWarmKeys(t, db)
		store := &countingStore{Store: db}
		v := startWarm(t, store, w, 100)
		require.Equal(t, len(w.used), v.Warmed())
		reads := store.views.Load()
		for _, id := range w.used {
			p, err := v.Authenticate(context.Background(), keygate.Live, "Bearer "+w.tokens[id], 0)
			require.NoError(t, err, id)
			require.Equal(t, id, p.CredentialID)
		}
		require.Equal(t, reads, store.views.Load(), "a warmed key is served from the cache")

		for id, want := range map[string]error{w.revoked: auth.ErrInvalidToken, w.expired: auth.ErrInvalidToken, w.neverUsed: nil} {
			before := store.views.Load()
			_, err := v.Authenticate(context.Background(), keygate.Live, "Bearer "+w.tokens[id], 0)
			require.Equal(t, want, err, id)
			require.Equal(t, before+1, store.views.Load(), "%s was not warmed: it is read", id)
		}

		// A warm-up of two caches the two used last.
		store2 := &countingStore{Store: db}
		v2 := startWarm(t, store2, w, 2)
		require.Equal(t, 2, v2.Warmed())
		for i, id := range w.used {
			before := store2.views.Load()
			_, err := v2.Authenticate(context.Background(), keygate.Live, "Bearer "+w.tokens[id], 0)
			require.NoError(t, err)
			require.Equal(t, i >= 2, store2.views.Load() > before, "key %d of the most recent", i)
		}
	})
}

// revokingStore revokes each key the warm-up reads after its row is read
// and before the warm-up sees it: the race that a warm-up must lose.
type revokingStore struct {
	keygate.Store
	svc *app.Service
	acc string
}

func (s *revokingStore) View(ctx context.Context, fn func(keygate.Tx) error) error {
	return s.Store.View(ctx, func(tx keygate.Tx) error { return fn(&revokingTx{Tx: tx, s: s}) })
}

type revokingTx struct {
	keygate.Tx
	s *revokingStore
}

func (tx *revokingTx) EachRecentAPIKey(ctx context.Context, now time.Time, limit int, fn func(*keygate.APIKey) error) error {
	var read []*keygate.APIKey
	err := tx.Tx.EachRecentAPIKey(ctx, now, limit, func(k *keygate.APIKey) error {
		read = append(read, k)
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range read { // as read, active; revoked (and invalidated) before fn caches it
		if _, err := tx.s.svc.RevokeAPIKey(ctx, app.AccountScope(tx.s.acc), k.ID); err != nil {
			return err
		}
		if err := fn(k); err != nil {
			return err
		}
	}
	return nil
}

// TestWarmRevocationWins checks that a key revoked while the warm-up runs,
// after the warm-up read it as active, is not served from the cache: the
// revocation's invalidation wins, even though the warm-up caches the key
// after it. The change feed is not polled in this test, so only that rule
// can refuse the key.
func TestWarmRevocationWins(t *testing.T) {
	t.Parallel()
	warmEngines(t, func(t *testing.T, db keygate.Store) {
		w := makeWarmKeys(t, db)
		store := &revokingStore{Store: db, svc: w.svc, acc: w.acc.ID}
		v := startWarm(t, store, w, 100)
		require.Equal(t, 0, v.Warmed())
		for _, id := range w.used {
			_, err := v.Authenticate(context.Background(), keygate.Live, "Bearer "+w.tokens[id], 0)
			require.Equal(t, auth.ErrInvalidToken, err, id)
		}
	})
}

// TestWarmKeepsControls checks that a key warmed into the cache keeps its
// allowlist and its credits: served from the cache, it is refused from an
// address outside its list and once its credits are spent, as a key read on
// a miss is.
func TestWarmKeepsControls(t *testing.T) {
	t.Parallel()
	warmEngines(t, func(t *testing.T, db keygate.Store) {
		ctx := context.Background()
		clock := storetest.NewClock(time.Now().UTC().Truncate(time.Microsecond))
		w := &warmKeys{svc: &app.Service{Store: db, Now: clock.Now}, clock: clock, tokens: map[string]string{}}
		var err error
		w.acc, err = w.svc.CreateAccount(ctx, keygate.AccountCreate{Environment: keygate.Live, Name: "Acme"})
		require.NoError(t, err)
		k, token, err := w.svc.CreateAPIKey(ctx, app.AccountScope(w.acc.ID), w.acc.ID, keygate.APIKeyCreate{
			Name: "limited", Permissions: []keygate.Permission{"customer.read"},
			AllowedIPs: []string{"10.0.0.0/8"}, Credits: &keygate.CreditsSet{Remaining: 2},
		})
		require.NoError(t, err)
		require.NoError(t, db.Update(ctx, func(tx keygate.Tx) error {
			return tx.TouchAPIKeys(ctx, []keygate.LastUse{{ID: k.ID, At: clock.Now(), Requests: 1}})
		}))

		store := &countingStore{Store: db}
		v := startWarm(t, store, w, 100)
		require.Equal(t, 1, v.Warmed())
		reads := store.views.Load()
		from := func(ip string) error {
			_, err := v.AuthenticateFrom(ctx, keygate.Live, "Bearer "+token, keygate.PermissionBit("customer.read"), netip.MustParseAddr(ip))
			return err
		}
		require.Equal(t, auth.ErrIPNotAllowed, from("11.0.0.1"), "the warmed key keeps its allowlist")
		require.NoError(t, from("10.1.2.3"))
		require.NoError(t, from("10.1.2.3"))
		require.Equal(t, auth.ErrNoCredits, from("10.1.2.3"), "the warmed key keeps its credits")
		require.Equal(t, reads, store.views.Load(), "all served from the warmed cache")
	})
}
