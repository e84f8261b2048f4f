package storetest

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/credential"
)

func testEvents(t *testing.T, h Harness) {
	b := setup(t, h)
	a := b.mustAccount(t, keygate.Live)
	sc := app.AccountScope(a.ID)
	k1, _ := b.mustKey(t, a, "one")
	k2, _ := b.mustKey(t, a, "two")
	_, err := b.svc.RevokeAPIKey(b.ctx, sc, k1.ID)
	require.NoError(t, err)

	revoked, total, err := b.svc.ListEvents(b.ctx, sc, keygate.EventFilter{Types: []keygate.EventType{keygate.EventAPIKeyRevoked}})
	require.NoError(t, err)
	require.Equal(t, 1, total)
	require.Equal(t, k1.ID, revoked[0].EntityID)

	ofK2, _, err := b.svc.ListEvents(b.ctx, sc, keygate.EventFilter{EntityID: k2.ID})
	require.NoError(t, err)
	require.Len(t, ofK2, 1)
	require.Equal(t, keygate.EventAPIKeyCreated, ofK2[0].Type)

	all := b.events(t, a)
	require.Len(t, all, 3)
	newest, _, err := b.svc.ListEvents(b.ctx, sc, keygate.EventFilter{Page: keygate.Page{Desc: true, Limit: 1}})
	require.NoError(t, err)
	require.Equal(t, all[2].ID, newest[0].ID)
	next, _, err := b.svc.ListEvents(b.ctx, sc, keygate.EventFilter{Page: keygate.Page{After: all[0].ID}})
	require.NoError(t, err)
	require.Equal(t, all[1:], next)

	other := b.mustAccount(t, keygate.Live)
	none, total, err := b.svc.ListEvents(b.ctx, app.AccountScope(other.ID), keygate.EventFilter{AccountID: a.ID})
	require.NoError(t, err)
	require.Empty(t, none, "events are scoped by account")
	require.Zero(t, total)
}

// testRollback checks that a transaction whose function fails leaves no
// trace: neither the change nor its event.
func testRollback(t *testing.T, h Harness) {
	b := setup(t, h)
	a := b.mustAccount(t, keygate.Live)
	k, _ := b.mustKey(t, a, "k")
	boom := errors.New("boom")
	err := b.store.Update(b.ctx, func(tx keygate.Tx) error {
		got, err := tx.FindAPIKeyByID(b.ctx, k.ID)
		require.NoError(t, err)
		require.NoError(t, got.Revoke(b.clock.Now(), keygate.RevokedByUser))
		require.NoError(t, tx.UpdateAPIKey(b.ctx, got))
		require.NoError(t, tx.CreateEvent(b.ctx, &keygate.Event{
			ID: credential.NewID("evt", b.clock.Now()), AccountID: a.ID, Environment: keygate.Live,
			Type: keygate.EventAPIKeyRevoked, EntityID: k.ID, OccurredAt: b.clock.Now(), Data: []byte(`{}`),
		}))
		return boom
	})
	require.ErrorIs(t, err, boom)
	got, err := b.svc.GetAPIKey(b.ctx, app.AccountScope(a.ID), k.ID)
	require.NoError(t, err)
	require.Equal(t, keygate.APIKeyActive, got.Status)
	require.Len(t, b.events(t, a), 1, "only api_key.created")
}

// testPaginationCountLimit checks that page sizes clamp and counts are exact.
func testPaginationCountLimit(t *testing.T, h Harness) {
	b := setup(t, h)
	a := b.mustAccount(t, keygate.Sandbox)
	for i := 0; i < 3; i++ {
		b.mustKey(t, a, strings.Repeat("k", i+1))
	}
	list, total, err := b.svc.ListAPIKeys(b.ctx, app.AccountScope(a.ID), keygate.APIKeyFilter{Page: keygate.Page{Limit: 1000}})
	require.NoError(t, err)
	require.Len(t, list, 3)
	require.Equal(t, 3, total)
	require.Equal(t, keygate.MaxPageSize+1, keygate.Page{Limit: 1000}.Size(), "a page and one more, to tell whether another follows")
	require.Equal(t, keygate.DefaultPageSize, keygate.Page{}.Size())
}
