package auth_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/auth"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/postgres"
	"github.com/keygate/keygate/sqlite"
	"github.com/keygate/keygate/storetest"
)

// rotatable creates a rotatable key.
func (b *bundle) rotatable(t *testing.T) (*keygate.APIKey, string) {
	t.Helper()
	k, token, err := b.svc.CreateAPIKey(b.ctx, app.AccountScope(b.acc.ID), b.acc.ID, keygate.APIKeyCreate{
		Name: "aws", Permissions: []keygate.Permission{"customer.read"}, Rotatable: true})
	require.NoError(t, err)
	b.caughtUp(t)
	return k, token
}

// rotate rotates key id with grace seconds of grace.
func (b *bundle) rotate(t *testing.T, id string, grace int) (*keygate.APIKeyRotation, string) {
	t.Helper()
	r, token, err := b.svc.RotateAPIKey(b.ctx, app.AccountScope(b.acc.ID), id, keygate.APIKeyRotationCreate{GracePeriodSeconds: &grace})
	require.NoError(t, err)
	b.caughtUp(t)
	return r, token
}

func (b *bundle) rotationStatus(t *testing.T, r *keygate.APIKeyRotation) *keygate.APIKeyRotation {
	t.Helper()
	got, err := b.svc.GetAPIKeyRotation(b.ctx, app.OperatorScope(), r.APIKeyID, r.ID)
	require.NoError(t, err)
	return got
}

// TestRotation drives a key through rotations on a controlled clock: the
// old secret works without limit until the new one is used, then for the
// grace exactly, decided by the cached record without a reload; a canceled
// rotation's secret never works; a grace of 0 swaps at once.
func TestRotation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	k, oldToken := b.rotatable(t)
	ok := func(token string) error { _, err := b.auth("Bearer "+token, "customer.read"); return err }
	require.NoError(t, ok(oldToken))

	r, newToken := b.rotate(t, k.ID, 60)
	b.clock.Add(24 * time.Hour)
	require.NoError(t, ok(oldToken), "until the new secret is used the old one works without limit")
	require.Equal(t, keygate.RotationPending, b.rotationStatus(t, r).Status)

	// A wrong secret and a bad check on the rotating key are refused, and
	// complete nothing.
	tok, _ := credential.Parse(newToken)
	wrong := "pdl_live_apikey_" + tok.ID + "_AAAAAAAAAAAAAAAAAAAAAA"
	require.ErrorIs(t, ok(wrong+"_"+credential.Check(wrong)), auth.ErrInvalidToken)
	badCheck := newToken[:len(newToken)-3] + "000"
	if badCheck == newToken {
		badCheck = newToken[:len(newToken)-3] + "001"
	}
	require.ErrorIs(t, ok(badCheck), auth.ErrInvalidToken)
	require.Equal(t, keygate.RotationPending, b.rotationStatus(t, r).Status)

	completedAt := b.clock.Now()
	require.NoError(t, ok(newToken), "the new secret works at once")
	done := b.rotationStatus(t, r)
	require.Equal(t, keygate.RotationCompleted, done.Status, "its first use completed the rotation")
	require.Equal(t, completedAt.Add(time.Minute), *done.ExpiresAt)
	b.caughtUp(t)
	require.NoError(t, ok(oldToken)) // reloads the record once, completed
	views := b.store.views.Load()

	b.clock.Add(time.Minute - time.Microsecond)
	require.NoError(t, ok(oldToken), "the old secret works until the grace ends")
	b.clock.Add(time.Microsecond)
	require.ErrorIs(t, ok(oldToken), auth.ErrInvalidToken, "and not at its end")
	require.NoError(t, ok(newToken))
	require.Equal(t, views, b.store.views.Load(), "the cached record decided the grace: no reload")

	// A second rotation cancels a pending one; its secret never works.
	_, canceledToken := b.rotate(t, k.ID, 60)
	r3, token3 := b.rotate(t, k.ID, 0)
	require.ErrorIs(t, ok(canceledToken), auth.ErrInvalidToken)
	require.NoError(t, ok(newToken), "the current secret works while a rotation is pending")

	// Grace 0: the first use of the new secret ends the old one at once.
	require.NoError(t, ok(token3))
	require.ErrorIs(t, ok(newToken), auth.ErrInvalidToken)
	require.Equal(t, keygate.RotationCompleted, b.rotationStatus(t, r3).Status)
	require.ErrorIs(t, ok(canceledToken), auth.ErrInvalidToken)

	// Revoked with a rotation pending: neither secret works.
	_, token4 := b.rotate(t, k.ID, 60)
	_, err := b.svc.RevokeAPIKey(b.ctx, app.AccountScope(b.acc.ID), k.ID)
	require.NoError(t, err)
	b.caughtUp(t)
	require.ErrorIs(t, ok(token4), auth.ErrInvalidToken)
	require.ErrorIs(t, ok(token3), auth.ErrInvalidToken)
}

// TestRotationWithoutCompleter checks that a verifier that can't complete
// rotations never accepts a pending secret, while the current one works.
func TestRotationWithoutCompleter(t *testing.T) {
	t.Parallel()
	b := setup(t)
	k, oldToken := b.rotatable(t)
	_, newToken := b.rotate(t, k.ID, 60)
	v := auth.New(auth.Config{Store: b.db})
	_, err := v.Authenticate(b.ctx, keygate.Live, "Bearer "+newToken, 0)
	require.ErrorIs(t, err, auth.ErrInvalidToken)
	_, err = v.Authenticate(b.ctx, keygate.Live, "Bearer "+oldToken, 0)
	require.NoError(t, err)
}

// node is one keygate node: its own store connections, verifier and use
// cases, following the change feed.
type node struct {
	svc *app.Service
	v   *auth.Verifier
}

func startNode(t *testing.T, store keygate.Store, clock *storetest.Clock, poll time.Duration) *node {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	n := &node{svc: &app.Service{Store: store, Now: clock.Now}}
	n.v = auth.New(auth.Config{Store: store, Now: clock.Now, PollInterval: poll,
		CompleteRotation: func(ctx context.Context, keyID, rotationID string) error {
			_, err := n.svc.CompleteRotation(ctx, keyID, rotationID)
			return err
		}})
	n.svc.Changed = n.v.Invalidate
	done := make(chan struct{})
	go func() {
		defer close(done)
		n.v.Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
	require.Eventually(t, n.v.Started, 5*time.Second, time.Millisecond)
	return n
}

// rotationAcrossNodes rotates a key on node a, uses the new secret on node
// b, and checks that a follows within a second, with the old secret ending
// on both at the grace's end on the controlled clock.
func rotationAcrossNodes(t *testing.T, a, b *node, clock *storetest.Clock) {
	ctx := context.Background()
	acc, err := a.svc.CreateAccount(ctx, keygate.AccountCreate{Environment: keygate.Live, Name: "Acme"})
	require.NoError(t, err)
	k, oldToken, err := a.svc.CreateAPIKey(ctx, app.AccountScope(acc.ID), acc.ID, keygate.APIKeyCreate{
		Name: "aws", Permissions: []keygate.Permission{"customer.read"}, Rotatable: true})
	require.NoError(t, err)
	ok := func(n *node, token string) error {
		_, err := n.v.Authenticate(ctx, keygate.Live, "Bearer "+token, 0)
		return err
	}
	require.Eventually(t, func() bool { return ok(b, oldToken) == nil }, 5*time.Second, 5*time.Millisecond)
	require.NoError(t, ok(a, oldToken))

	grace := 30
	r, newToken, err := a.svc.RotateAPIKey(ctx, app.AccountScope(acc.ID), k.ID, keygate.APIKeyRotationCreate{GracePeriodSeconds: &grace})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return ok(b, newToken) == nil }, time.Second, 5*time.Millisecond,
		"a rotation made on one node must be in force on the other within a second")
	got, err := a.svc.GetAPIKeyRotation(ctx, app.OperatorScope(), k.ID, r.ID)
	require.NoError(t, err)
	require.Equal(t, keygate.RotationCompleted, got.Status, "its use on the other node completed it")
	require.NoError(t, ok(a, newToken))
	require.NoError(t, ok(a, oldToken), "the grace runs on both nodes")
	require.NoError(t, ok(b, oldToken))

	clock.Add(time.Duration(grace) * time.Second)
	require.ErrorIs(t, ok(a, oldToken), auth.ErrInvalidToken, "the old secret ends at expires_at on every node")
	require.ErrorIs(t, ok(b, oldToken), auth.ErrInvalidToken)
	require.NoError(t, ok(a, newToken))

	// A rotation canceled on one node: its secret is refused on the other
	// once the cancel arrives, and never completes there.
	_, pendingToken, err := b.svc.RotateAPIKey(ctx, app.AccountScope(acc.ID), k.ID, keygate.APIKeyRotationCreate{GracePeriodSeconds: &grace})
	require.NoError(t, err)
	_, _, err = b.svc.RotateAPIKey(ctx, app.AccountScope(acc.ID), k.ID, keygate.APIKeyRotationCreate{GracePeriodSeconds: &grace})
	require.NoError(t, err)
	require.ErrorIs(t, ok(a, pendingToken), auth.ErrInvalidToken)
}

func TestRotationAcrossNodesSQLite(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), sqlite.FileName)
	clock := storetest.NewClock(time.Now().UTC().Truncate(time.Microsecond))
	var nodes [2]*node
	for i := range nodes {
		s, err := sqlite.Open(context.Background(), path)
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })
		nodes[i] = startNode(t, s, clock, 0)
	}
	rotationAcrossNodes(t, nodes[0], nodes[1], clock)
}

// TestRotationAcrossNodesPostgres polls only every 10 s: changes arrive by
// LISTEN/NOTIFY.
func TestRotationAcrossNodesPostgres(t *testing.T) {
	t.Parallel()
	u, _ := storetest.PostgresSchema(t)
	clock := storetest.NewClock(time.Now().UTC().Truncate(time.Microsecond))
	var nodes [2]*node
	for i := range nodes {
		s, err := postgres.Open(context.Background(), u)
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })
		nodes[i] = startNode(t, s, clock, 10*time.Second)
	}
	rotationAcrossNodes(t, nodes[0], nodes[1], clock)
}
