package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/sqlite"
)

// TestDigestPrefixCollision checks the legacy cache, which finds records
// by the first eight bytes of their hash: a cached record whose hash
// shares those bytes with a token's, and differs after, never
// authenticates the token, and does not hide the token's own record in
// the same chain. No two tokens are known whose SHA-256 share eight
// bytes, so the colliding record is planted in the cache directly.
func TestDigestPrefixCollision(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), sqlite.FileName))
	require.NoError(t, err)
	defer db.Close()
	svc := &app.Service{Store: db, Now: time.Now}
	acc, err := svc.CreateAccount(ctx, keygate.AccountCreate{Environment: keygate.Live, Name: "Acme"})
	require.NoError(t, err)
	token := "sk_live_acme_" + strings.Repeat("Q7", 12)
	sum := sha256.Sum256([]byte(token))
	_, err = svc.ImportKeys(ctx, app.AccountScope(acc.ID), acc.ID, strings.NewReader(`{"sha256":"`+hex.EncodeToString(sum[:])+`","name":"acme"}`), 0)
	require.NoError(t, err)

	v := New(Config{Store: db})
	done := make(chan struct{})
	go func() {
		defer close(done)
		v.Run(ctx)
	}()
	defer func() { cancel(); <-done }()
	require.Eventually(t, v.Started, 10*time.Second, time.Millisecond)
	p, err := v.Authenticate(ctx, keygate.Live, "Bearer "+token, 0)
	require.NoError(t, err)
	own := v.legacy.findDigest(envLive, &sum)
	require.NotNil(t, own, "cached")
	require.Equal(t, p.CredentialID, own.credentialID)

	// Its twin: the same first eight bytes, another last byte, full access,
	// put in front of the token's record in their chain.
	twin := sum
	twin[sha256.Size-1] ^= 1
	impostor := &record{hash: twin, env: envLive, credentialID: "apikey_impostor", active: true, permissions: keygate.AllPermissionSet}
	var buf [legacyKeyLen]byte
	v.legacy.put(strings.Clone(legacyCacheKey(envLive, &twin, &buf)), impostor)
	require.Equal(t, 2, v.legacy.len())
	require.Same(t, impostor, v.legacy.findDigest(envLive, &twin))
	require.Same(t, own, v.legacy.findDigest(envLive, &sum), "the twin does not hide the token's record")
	for range 2 {
		p, err := v.Authenticate(ctx, keygate.Live, "Bearer "+token, 0)
		require.NoError(t, err)
		require.Equal(t, own.credentialID, p.CredentialID, "never the twin")
	}
	_, err = v.Authenticate(ctx, keygate.Sandbox, "Bearer "+token, 0)
	require.ErrorIs(t, err, ErrInvalidToken, "another environment")

	// Without the token's record, the twin alone is no match.
	v.legacy.remove(own.digestKey())
	require.Nil(t, v.legacy.findDigest(envLive, &sum))
	require.Same(t, impostor, v.legacy.findDigest(envLive, &twin))
	other := sha256.Sum256([]byte("another token altogether"))
	require.Nil(t, v.legacy.findDigest(envLive, &other))
}
