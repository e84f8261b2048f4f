package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/credential"
)

// testChangeFeed checks that every change to a key appears in the feed, in
// order, and that last uses and refused changes do not.
func testChangeFeed(t *testing.T, h Harness) {
	b := setup(t, h)
	var start int64
	b.settle(t)
	require.NoError(t, b.store.View(b.ctx, func(tx keygate.Tx) (err error) {
		start, err = tx.LastChangeSeq(b.ctx)
		return err
	}))
	a := b.mustAccount(t, keygate.Live)
	sc := app.AccountScope(a.ID)
	k1, _ := b.mustKey(t, a, "one")
	k2, _ := b.mustKey(t, a, "two")
	_, err := b.svc.RevokeAPIKey(b.ctx, sc, k1.ID)
	require.NoError(t, err)
	_, err = b.svc.RevokeAPIKey(b.ctx, sc, k1.ID)
	require.Error(t, err, "refused: no change")
	require.NoError(t, b.store.Update(b.ctx, func(tx keygate.Tx) error {
		return tx.TouchAPIKeys(b.ctx, []keygate.LastUse{{ID: k2.ID, At: T0.Add(time.Minute)}})
	}))

	var changes []keygate.Change
	var last int64
	b.settle(t)
	require.NoError(t, b.store.View(b.ctx, func(tx keygate.Tx) (err error) {
		if changes, err = tx.FindChanges(b.ctx, start, 100); err != nil {
			return err
		}
		last, err = tx.LastChangeSeq(b.ctx)
		return err
	}))
	var ids []string
	for i, c := range changes {
		ids = append(ids, c.CredentialID)
		if i > 0 {
			require.Greater(t, c.Seq, changes[i-1].Seq)
		}
	}
	require.Equal(t, []string{k1.ID, k2.ID, k1.ID}, ids)
	require.Equal(t, changes[2].Seq, last)

	var page []keygate.Change
	b.settle(t)
	require.NoError(t, b.store.View(b.ctx, func(tx keygate.Tx) (err error) {
		page, err = tx.FindChanges(b.ctx, changes[0].Seq, 1)
		return err
	}))
	require.Equal(t, changes[1:2], page)
}

// testChangeFeedConcurrent checks the feed's order with writers committing
// at once on several connections, each holding its transaction open a
// while after its write: a reader that follows the feed as nodes do
// ("seq > the last seen", page by page) must see every change exactly
// once, in increasing seq: a change whose seq a later reader has passed
// when it becomes visible would be lost to every node.
func testChangeFeedConcurrent(t *testing.T, h Harness) {
	b := setup(t, h)
	a := b.mustAccount(t, keygate.Live)
	var start int64
	b.settle(t)
	require.NoError(t, b.store.View(b.ctx, func(tx keygate.Tx) (err error) {
		start, err = tx.LastChangeSeq(b.ctx)
		return err
	}))
	const writers, perWriter = 8, 25
	done := make(chan struct{})
	seen := make(chan []int64, 1)
	go func() { seen <- followFeed(t, b, start, done) }()

	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				err := b.store.Update(b.ctx, func(tx keygate.Tx) error {
					now := T0.Add(time.Duration(w*perWriter+i) * time.Millisecond)
					ct := &keygate.ClientToken{ID: credential.NewID("ctkn", now), AccountID: a.ID, Environment: keygate.Live,
						Token: credential.NewClientToken(credential.EnvLive), Name: "t", Status: keygate.ClientTokenActive, CreatedAt: now, UpdatedAt: now}
					if err := tx.CreateClientToken(b.ctx, ct); err != nil {
						return err
					}
					time.Sleep(time.Duration(i%4) * time.Millisecond) // commit late
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.settle(t) // every write numbered before the follower's last read
	close(done)
	got := <-seen

	var all []keygate.Change
	b.settle(t)
	require.NoError(t, b.store.View(b.ctx, func(tx keygate.Tx) (err error) {
		all, err = tx.FindChanges(b.ctx, start, 10*writers*perWriter)
		return err
	}))
	require.Len(t, all, writers*perWriter)
	want := make([]int64, len(all))
	for i, c := range all {
		want[i] = c.Seq
	}
	require.Equal(t, want, got, "the follower saw every change once, in order")
}

// followFeed reads the feed after start the way a node does, until done is
// closed and a last read finds nothing new, and returns the seqs it saw.
func followFeed(t *testing.T, b *bundle, start int64, done <-chan struct{}) []int64 {
	var got []int64
	seq := start
	for {
		finished := false
		select {
		case <-done:
			finished = true
		default:
		}
		var page []keygate.Change
		if err := b.store.View(b.ctx, func(tx keygate.Tx) (err error) {
			page, err = tx.FindChanges(b.ctx, seq, 7)
			return err
		}); err != nil {
			t.Error(err)
			return got
		}
		for _, c := range page {
			got = append(got, c.Seq)
			seq = c.Seq
		}
		if finished && len(page) == 0 {
			return got
		}
	}
}

// testReadDirect checks the direct reads of a cache miss: the same answer
// as a transaction, CodeNotFound for an unknown key, a change visible to
// the next read, and many at once on the shared prepared statements.
func testReadDirect(t *testing.T, h Harness) {
	b := setup(t, h)
	r, ok := b.store.(keygate.DirectReader)
	if !ok {
		t.Skip("the store has no direct reads")
	}
	a := b.mustAccount(t, keygate.Live)
	k, _ := b.mustKey(t, a, "one")
	read := func(id string) (*keygate.APIKey, error) {
		var got *keygate.APIKey
		err := r.ReadDirect(b.ctx, func(tx keygate.Tx) (err error) {
			got, err = tx.FindAPIKeyByID(b.ctx, id)
			return err
		})
		return got, err
	}
	got, err := read(k.ID)
	require.NoError(t, err)
	require.Equal(t, k.ID, got.ID)
	require.Equal(t, k.SecretHash, got.SecretHash)
	_, err = read(credential.NewID("apikey", T0))
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err))

	_, err = b.svc.RevokeAPIKey(b.ctx, app.AccountScope(a.ID), k.ID)
	require.NoError(t, err)
	got, err = read(k.ID)
	require.NoError(t, err)
	require.Equal(t, keygate.APIKeyRevoked, got.Status)

	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				if got, err := read(k.ID); err != nil || got.ID != k.ID {
					t.Error(got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
