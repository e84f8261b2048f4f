package auth_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/auth"
	"github.com/keygate/keygate/credential"
)

// importKeys imports a legacy key and a key of another system (by its
// SHA-256) into b's account and returns both tokens.
func (b *bundle) importKeys(t testing.TB) (legacy, foreign string) {
	t.Helper()
	legacy = credential.NewLegacyKey()
	foreign = "sk_live_acme_" + strings.Repeat("Q7", 12)
	sum := sha256.Sum256([]byte(foreign))
	file := `{"key":"` + legacy + `","name":"old"}` + "\n" + `{"sha256":"` + hex.EncodeToString(sum[:]) + `","name":"acme"}`
	_, err := b.svc.ImportKeys(b.ctx, app.AccountScope(b.acc.ID), b.acc.ID, strings.NewReader(file), 0)
	require.NoError(t, err)
	b.caughtUp(t)
	return legacy, foreign
}

// TestImportedKeys checks that imported keys authenticate with every
// permission, in their environment only, are refused once revoked, and
// that tokens of keygate's own shapes are never looked up by hash.
func TestImportedKeys(t *testing.T) {
	t.Parallel()
	b := setup(t)
	legacy, foreign := b.importKeys(t)
	for _, token := range []string{legacy, foreign} {
		p, err := b.auth("Bearer "+token, "api_key.write")
		require.NoError(t, err)
		require.Equal(t, b.acc.ID, p.AccountID)
		_, err = b.auth("Bearer "+token, "api_key.write") // cached
		require.NoError(t, err)
		_, err = b.v.Authenticate(b.ctx, keygate.Sandbox, "Bearer "+token, 0)
		require.ErrorIs(t, err, auth.ErrInvalidToken, "another environment")
	}
	_, err := b.auth("Bearer "+foreign[:len(foreign)-1]+"X", "")
	require.ErrorIs(t, err, auth.ErrInvalidToken)

	// keygate's own shapes with a bad check, and short tokens, are refused
	// without a read of the store.
	views := b.store.views.Load()
	for _, token := range []string{"pdl_live_apikey_01jkdpbhazdpn3wpcya45as9tg_AAAAAAAAAAAAAAAAAAAAAA_AAA", "short-token", "psk_live_whatever_goes_here_x"} {
		_, err := b.auth("Bearer "+token, "")
		require.ErrorIs(t, err, auth.ErrInvalidToken, token)
	}
	require.Equal(t, views, b.store.views.Load())

	list, _, err := b.svc.ListAPIKeys(b.ctx, app.AccountScope(b.acc.ID), keygate.APIKeyFilter{})
	require.NoError(t, err)
	for _, k := range list {
		_, err := b.svc.RevokeAPIKey(b.ctx, app.AccountScope(b.acc.ID), k.ID)
		require.NoError(t, err)
	}
	b.caughtUp(t)
	for _, token := range []string{legacy, foreign} {
		_, err := b.auth("Bearer "+token, "")
		require.ErrorIs(t, err, auth.ErrInvalidToken, "revoked")
	}
}

// BenchmarkAuthenticateHitImported is the hot path for a key imported by
// its SHA-256, cached: compare with BenchmarkAuthenticateHit (a standard
// key). docs/performance.md records both.
func BenchmarkAuthenticateHitImported(b *testing.B) {
	bb := setupRealClock(b)
	_, foreign := bb.importKeys(b)
	benchmarkCachedHit(b, bb, "Bearer "+foreign)
}

// BenchmarkAuthenticateHitLegacy is the same for an imported Paddle legacy
// key.
func BenchmarkAuthenticateHitLegacy(b *testing.B) {
	bb := setupRealClock(b)
	legacy, _ := bb.importKeys(b)
	benchmarkCachedHit(b, bb, "Bearer "+legacy)
}

// benchmarkCachedHit authenticates header once, so that it is cached, then
// measures it on the hot path, with its ratio to the hash floor.
func benchmarkCachedHit(b *testing.B, bb *bundle, header string) {
	perm := keygate.PermissionBit("customer.read")
	if _, err := bb.v.Authenticate(bb.ctx, keygate.Live, header, perm); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bb.v.Authenticate(bb.ctx, keygate.Live, header, perm); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(floorRatio(func() { bb.v.Authenticate(bb.ctx, keygate.Live, header, perm) }), "x-floor")
}

// TestImportedKeysStayCached checks that as many imported keys as a
// quarter of MaxEntries stay cached once read: an operator who imported
// that many keys does not read the store on every request.
func TestImportedKeysStayCached(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx, cancel := context.WithCancel(b.ctx)
	defer cancel()
	const maxEntries, n = 256, 48 // a quarter is 64
	var file strings.Builder
	tokens := make([]string, n)
	for i := range tokens { // keys of another system, imported by their SHA-256
		tokens[i] = fmt.Sprintf("sk_live_acme_%024d", i)
		sum := sha256.Sum256([]byte(tokens[i]))
		fmt.Fprintf(&file, "{\"sha256\":%q,\"name\":\"acme %d\"}\n", hex.EncodeToString(sum[:]), i)
	}
	_, err := b.svc.ImportKeys(ctx, app.AccountScope(b.acc.ID), b.acc.ID, strings.NewReader(file.String()), 0)
	require.NoError(t, err)
	store := &countingStore{Store: b.db}
	v := auth.New(auth.Config{Store: store, Now: b.clock.Now, PollInterval: time.Hour, MaxEntries: maxEntries})
	done := make(chan struct{})
	go func() { defer close(done); v.Run(ctx) }()
	defer func() { cancel(); <-done }()
	require.Eventually(t, v.Started, 10*time.Second, time.Millisecond)
	for _, token := range tokens {
		_, err := v.Authenticate(ctx, keygate.Live, "Bearer "+token, 0)
		require.NoError(t, err)
	}
	reads := store.views.Load()
	require.EqualValues(t, n, reads, "each key read once")
	for _, token := range tokens {
		_, err := v.Authenticate(ctx, keygate.Live, "Bearer "+token, 0)
		require.NoError(t, err)
	}
	require.Equal(t, reads, store.views.Load(), "every imported key was served from the cache")
}
