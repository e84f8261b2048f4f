package auth_test

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/auth"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/sqlite"
	"github.com/keygate/keygate/storetest"
)

// countingStore is a real store that counts the reads of credentials and
// can hold them: an instrument, and a way to inject a slow read.
type countingStore struct {
	keygate.Store
	views atomic.Int64
	hold  atomic.Pointer[chan struct{}] // if set, each credential read waits on it after reading
}

func (s *countingStore) View(ctx context.Context, fn func(keygate.Tx) error) error {
	return s.Store.View(ctx, func(tx keygate.Tx) error { return fn(&countingTx{Tx: tx, s: s}) })
}

// ReadDirect counts like View, on the store's direct reads where it has
// them, so that the verifier takes the path it takes in production.
func (s *countingStore) ReadDirect(ctx context.Context, fn func(keygate.Tx) error) error {
	r, ok := s.Store.(keygate.DirectReader)
	if !ok {
		return s.View(ctx, fn)
	}
	return r.ReadDirect(ctx, func(tx keygate.Tx) error { return fn(&countingTx{Tx: tx, s: s}) })
}

type countingTx struct {
	keygate.Tx
	s *countingStore
}

// FindAPIKeyByHash counts a read of an imported key.
func (tx *countingTx) FindAPIKeyByHash(ctx context.Context, env keygate.Environment, hash []byte) (*keygate.APIKey, error) {
	tx.s.views.Add(1)
	return tx.Tx.FindAPIKeyByHash(ctx, env, hash)
}

func (tx *countingTx) FindAPIKeyByID(ctx context.Context, id string) (*keygate.APIKey, error) {
	return tx.s.count(tx.Tx.FindAPIKeyByID(ctx, id))
}

// FindAPIKeyCredential counts a cache miss's read of a key.
func (tx *countingTx) FindAPIKeyCredential(ctx context.Context, id string) (*keygate.APIKey, error) {
	return tx.s.count(tx.Tx.FindAPIKeyCredential(ctx, id))
}

// count counts a read of a key and holds it, ignoring its context, while
// reads are held.
func (s *countingStore) count(k *keygate.APIKey, err error) (*keygate.APIKey, error) {
	s.views.Add(1)
	if h := s.hold.Load(); h != nil {
		<-*h
	}
	return k, err
}

// holdReads makes reads wait after reading until the returned function is
// called.
func (s *countingStore) holdReads() (release func()) {
	h := make(chan struct{})
	s.hold.Store(&h)
	return func() {
		s.hold.Store(nil)
		close(h)
	}
}

type bundle struct {
	ctx   context.Context
	store *countingStore
	db    *sqlite.DB
	svc   *app.Service
	clock *storetest.Clock
	v     *auth.Verifier
	acc   *keygate.Account
}

// localStore is a countingStore that says its reads are local, as SQLite
// does, so that the verifier reads a miss on the request's goroutine
// rather than on a loader (auth/flight.go).
type localStore struct{ *countingStore }

func (localStore) LocalReads() bool { return true }

// readPaths are the two ways a miss is read, for the tests of both.
var readPaths = map[string]bool{"Loader": false, "Inline": true}

// setup opens a SQLite store, an account in live, and a running verifier
// on the same controlled clock; its misses are read on loaders.
func setup(t testing.TB) *bundle {
	t.Helper()
	return setupPath(t, false)
}

// setupPath is setup, with misses read on the request's goroutine if
// inline.
func setupPath(t testing.TB, inline bool) *bundle {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), sqlite.FileName))
	require.NoError(t, err)
	clock := storetest.NewClock(time.Now().UTC().Truncate(time.Microsecond))
	store := &countingStore{Store: db}
	var verified keygate.Store = store
	if inline {
		verified = localStore{store}
	}
	b := &bundle{ctx: ctx, store: store, db: db, clock: clock, svc: &app.Service{Store: db, Now: clock.Now}}
	b.v = auth.New(auth.Config{Store: verified, Now: clock.Now, PollInterval: 20 * time.Millisecond,
		CompleteRotation: func(ctx context.Context, keyID, rotationID string) error {
			_, err := b.svc.CompleteRotation(ctx, keyID, rotationID)
			return err
		},
		SpendCredits: func(ctx context.Context, spends []keygate.CreditSpend) ([]keygate.CreditBalance, error) {
			return b.svc.SpendCredits(ctx, spends)
		}, ShareInterval: 10 * time.Millisecond})
	b.acc, err = b.svc.CreateAccount(ctx, keygate.AccountCreate{Environment: keygate.Live, Name: "Acme"})
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.v.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		db.Close()
	})
	require.Eventually(t, func() bool { return b.v.Started() }, 5*time.Second, time.Millisecond)
	return b
}

func (b *bundle) key(t testing.TB, ps ...keygate.Permission) (*keygate.APIKey, string) {
	t.Helper()
	k, token, err := b.svc.CreateAPIKey(b.ctx, app.AccountScope(b.acc.ID), b.acc.ID, keygate.APIKeyCreate{Name: "k", Permissions: ps})
	require.NoError(t, err)
	b.caughtUp(t)
	return k, token
}

// caughtUp waits until the verifier has followed the change feed to its
// end, so that a change made before (a key's creation) can no longer
// arrive and invalidate what a test is about to cache.
func (b *bundle) caughtUp(t testing.TB) {
	t.Helper()
	storetest.Settle(t, b.db)
	var last int64
	require.NoError(t, b.db.View(b.ctx, func(tx keygate.Tx) (err error) {
		last, err = tx.LastChangeSeq(b.ctx)
		return err
	}))
	require.Eventually(t, func() bool { return b.v.FollowedTo() >= last }, 10*time.Second, time.Millisecond)
}

func (b *bundle) auth(header string, perm keygate.Permission) (auth.Principal, error) {
	return b.v.Authenticate(b.ctx, keygate.Live, header, keygate.PermissionBit(perm))
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	k, token := b.key(t, "customer.write")
	revoked, revokedToken := b.key(t, "customer.read")
	_, err := b.svc.RevokeAPIKey(b.ctx, app.AccountScope(b.acc.ID), revoked.ID)
	require.NoError(t, err)
	b.v.Invalidate(revoked.ID)
	sdbx, err := b.svc.CreateAccount(b.ctx, keygate.AccountCreate{Environment: keygate.Sandbox, Name: "Acme"})
	require.NoError(t, err)
	_, sdbxToken, err := b.svc.CreateAPIKey(b.ctx, app.AccountScope(sdbx.ID), sdbx.ID, keygate.APIKeyCreate{Name: "s", Permissions: []keygate.Permission{"customer.read"}})
	require.NoError(t, err)
	legacy := credential.NewLegacyKey()
	_, err = b.svc.ImportLegacyKey(b.ctx, app.AccountScope(b.acc.ID), b.acc.ID, "old", legacy)
	require.NoError(t, err)

	tok, _ := credential.Parse(token)
	wrongSecret := "pdl_live_apikey_" + tok.ID + "_" + "AAAAAAAAAAAAAAAAAAAAAA"
	wrongSecret += "_" + credential.Check(wrongSecret)
	unknown := credential.NewAPIKey("", credential.EnvLive, time.Now()).Token

	tests := []struct {
		name   string
		header string
		perm   keygate.Permission
		err    error
	}{
		{"OK", "Bearer " + token, "customer.write", nil},
		{"OKWriteImpliesRead", "Bearer " + token, "customer.read", nil},
		{"OKNoPermissionNeeded", "Bearer " + token, "", nil},
		{"OKSchemeAnyCase", "bearer " + token, "", nil},
		{"OKLegacy", "Bearer " + legacy, "transaction.write", nil},
		{"Missing", "", "", auth.ErrMissing},
		{"MalformedNoScheme", token, "", auth.ErrMalformed},
		{"MalformedBasic", "Basic dXNlcjpwYXNz", "", auth.ErrMalformed},
		{"MalformedEmptyToken", "Bearer ", "", auth.ErrMalformed},
		{"MalformedTwoTokens", "Bearer " + token + " " + token, "", auth.ErrMalformed},
		{"InvalidGarbage", "Bearer nonsense", "", auth.ErrInvalidToken},
		{"InvalidCheck", "Bearer " + token[:len(token)-1] + flip(token[len(token)-1]), "", auth.ErrInvalidToken},
		{"InvalidWrongSecret", "Bearer " + wrongSecret, "", auth.ErrInvalidToken},
		{"InvalidUnknownID", "Bearer " + unknown, "", auth.ErrInvalidToken},
		{"InvalidOtherEnvironment", "Bearer " + sdbxToken, "", auth.ErrInvalidToken},
		{"InvalidRevoked", "Bearer " + revokedToken, "", auth.ErrInvalidToken},
		{"InvalidClientToken", "Bearer " + credential.NewClientToken(credential.EnvLive), "", auth.ErrInvalidToken},
		{"InvalidUnknownLegacy", "Bearer " + credential.NewLegacyKey(), "", auth.ErrInvalidToken},
		{"Forbidden", "Bearer " + token, "price.read", auth.ErrForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 2 { // a miss, then a hit: the answer must not depend on the cache
				p, err := b.auth(tt.header, tt.perm)
				require.Equal(t, tt.err, err)
				if err == nil {
					require.Equal(t, b.acc.ID, p.AccountID)
					require.Equal(t, keygate.Live, p.Environment)
				}
			}
		})
	}

	p, err := b.auth("Bearer "+token, "")
	require.NoError(t, err)
	require.Equal(t, auth.Principal{Kind: credential.KindAPIKey, CredentialID: k.ID, AccountID: b.acc.ID, Environment: keygate.Live,
		Permissions: keygate.NewPermissionSet([]keygate.Permission{"customer.write"}), ExpiresAt: *k.ExpiresAt}, p)
}

func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

// TestExpiry checks that expiry is evaluated on every request, from the
// cached record: a key stops working at expires_at without any change.
func TestExpiry(t *testing.T) {
	t.Parallel()
	b := setup(t)
	k, token := b.key(t, "customer.read")
	_, err := b.auth("Bearer "+token, "")
	require.NoError(t, err)
	reads := b.store.views.Load()
	b.clock.Add(k.ExpiresAt.Sub(b.clock.Now()) - time.Nanosecond)
	_, err = b.auth("Bearer "+token, "")
	require.NoError(t, err)
	b.clock.Add(time.Nanosecond)
	_, err = b.auth("Bearer "+token, "")
	require.Equal(t, auth.ErrInvalidToken, err)
	require.Equal(t, reads, b.store.views.Load(), "decided from the cache")
}

func TestCache(t *testing.T) {
	t.Parallel()
	t.Run("HitReadsNothing", func(t *testing.T) {
		b := setup(t)
		_, token := b.key(t, "customer.read")
		_, err := b.auth("Bearer "+token, "customer.read")
		require.NoError(t, err)
		reads := b.store.views.Load()
		for range 100 {
			_, err := b.auth("Bearer "+token, "customer.read")
			require.NoError(t, err)
		}
		require.Equal(t, reads, b.store.views.Load())
	})
	t.Run("UnknownIDReadOnce", func(t *testing.T) {
		b := setup(t)
		unknown := "Bearer " + credential.NewAPIKey("", credential.EnvLive, time.Now()).Token
		reads := b.store.views.Load()
		for range 10 {
			_, err := b.auth(unknown, "")
			require.Equal(t, auth.ErrInvalidToken, err)
		}
		require.Equal(t, reads+1, b.store.views.Load(), "an unknown ID is cached as unknown")
	})
	t.Run("WrongCheckReadsNothing", func(t *testing.T) {
		b := setup(t)
		forged := credential.NewAPIKey("", credential.EnvLive, time.Now()).Token
		forged = forged[:len(forged)-1] + flip(forged[len(forged)-1])
		reads := b.store.views.Load()
		_, err := b.auth("Bearer "+forged, "")
		require.Equal(t, auth.ErrInvalidToken, err)
		require.Equal(t, reads, b.store.views.Load())
	})
	for path, inline := range readPaths {
		t.Run("ConcurrentMissesShareARead"+path, func(t *testing.T) {
			concurrentMissesShareARead(t, setupPath(t, inline))
		})
	}
}

// concurrentMissesShareARead checks that 50 requests of one key arriving
// while its read is held make one read between them.
func concurrentMissesShareARead(t *testing.T, b *bundle) {
	_, token := b.key(t, "customer.read")
	release := b.store.holdReads()
	reads := b.store.views.Load()
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := b.auth("Bearer "+token, "")
			require.NoError(t, err)
		}()
	}
	require.Eventually(t, func() bool { return b.store.views.Load() > reads }, 5*time.Second, time.Millisecond)
	time.Sleep(20 * time.Millisecond) // let the other 49 arrive and join the read in flight
	release()
	wg.Wait()
	require.Equal(t, reads+1, b.store.views.Load())
}

// TestMissHungRead checks that a request whose store read hangs, ignoring
// its context, is answered once LoadTimeout is spent, with the requests
// that joined it, and that the misses of other keys go on meanwhile: the
// hung read keeps a loader, not the requests.
func TestMissHungRead(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, hungToken := b.key(t, "customer.read")
	_, otherToken := b.key(t, "customer.read")
	v := auth.New(auth.Config{Store: b.store, LoadTimeout: 100 * time.Millisecond})
	ctx, cancel := context.WithCancel(b.ctx)
	done := make(chan struct{})
	go func() { defer close(done); v.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	require.Eventually(t, v.Started, 5*time.Second, time.Millisecond)

	release := b.store.holdReads()
	answers := make(chan error, 3)
	for range 3 {
		go func() {
			_, err := v.Authenticate(b.ctx, keygate.Live, "Bearer "+hungToken, 0)
			answers <- err
		}()
	}
	for range 3 {
		select {
		case err := <-answers:
			require.ErrorIs(t, err, context.DeadlineExceeded)
		case <-time.After(10 * time.Second):
			t.Fatal("a request waited for a read that hangs")
		}
	}
	b.store.hold.Store(nil) // the hung read stays held; new reads are not
	p, err := v.Authenticate(b.ctx, keygate.Live, "Bearer "+otherToken, 0)
	require.NoError(t, err, "another key's miss while a read hangs")
	require.Equal(t, b.acc.ID, p.AccountID)
	release()
	require.Eventually(t, func() bool {
		_, err := v.Authenticate(b.ctx, keygate.Live, "Bearer "+hungToken, 0)
		return err == nil
	}, 5*time.Second, 10*time.Millisecond, "the key is read again once the store answers")
}

// TestStaleLoad checks that a read racing with a change can't leave the old
// record in the cache, and that a request made after the change is not
// answered by that read (it does not join it), on both read paths.
func TestStaleLoad(t *testing.T) {
	t.Parallel()
	for path, inline := range readPaths {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			staleLoad(t, setupPath(t, inline))
		})
	}
}

func staleLoad(t *testing.T, b *bundle) {
	k, token := b.key(t, "customer.read")
	release := b.store.holdReads()
	reads := b.store.views.Load()
	first := make(chan error)
	go func() {
		_, err := b.auth("Bearer "+token, "")
		first <- err
	}()
	require.Eventually(t, func() bool { return b.store.views.Load() > reads }, 5*time.Second, time.Millisecond)
	time.Sleep(20 * time.Millisecond) // the read has happened and is held before it returns

	_, err := b.svc.RevokeAPIKey(b.ctx, app.AccountScope(b.acc.ID), k.ID)
	require.NoError(t, err)
	b.v.Invalidate(k.ID)
	after := make(chan error, 1)
	go func() { // a request after the revoke, while the racing read is held
		_, err := b.auth("Bearer "+token, "")
		after <- err
	}()
	time.Sleep(20 * time.Millisecond) // time to join the held read, were it allowed
	release()
	require.NoError(t, <-first, "the request in flight read the key before the revoke")
	require.Equal(t, auth.ErrInvalidToken, <-after, "a request after the revoke has a read of its own")
	_, err = b.auth("Bearer "+token, "")
	require.Equal(t, auth.ErrInvalidToken, err, "the racing read must not have been cached")
}

// TestMissRacingRevocation revokes a key between the read of a miss and the
// insert of what it found: the stale record must not stay cached, though
// the change feed is not read again (its poll is an hour away).
func TestMissRacingRevocation(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), sqlite.FileName))
	require.NoError(t, err)
	defer db.Close()
	svc := app.New(db)
	acc, err := svc.CreateAccount(ctx, keygate.AccountCreate{Environment: keygate.Live, Name: "Acme"})
	require.NoError(t, err)
	k, token, err := svc.CreateAPIKey(ctx, app.AccountScope(acc.ID), acc.ID, keygate.APIKeyCreate{Name: "k", Permissions: []keygate.Permission{"customer.read"}})
	require.NoError(t, err)
	v := auth.New(auth.Config{Store: db, PollInterval: time.Hour})
	done := make(chan struct{})
	go func() { defer close(done); v.Run(ctx) }()
	defer func() { cancel(); <-done }()
	require.Eventually(t, v.Started, 10*time.Second, time.Millisecond)

	var once sync.Once
	auth.SetBeforePut(v, func() {
		once.Do(func() {
			_, err := svc.RevokeAPIKey(ctx, app.AccountScope(acc.ID), k.ID)
			require.NoError(t, err)
			v.Invalidate(k.ID) // as the change feed would, or the node that revoked
		})
	})
	check := func() error {
		_, err := v.Authenticate(ctx, keygate.Live, "Bearer "+token, keygate.PermissionBit("customer.read"))
		return err
	}
	require.NoError(t, check(), "the read came before the revocation")
	require.ErrorIs(t, check(), auth.ErrInvalidToken, "the revocation is in force: the record read before it was not kept")
}
