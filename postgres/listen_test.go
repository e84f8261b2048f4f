package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/postgres"
)

// TestChangeNoticesNameCredentials checks that a notice names the
// credentials whose changes it announces, to this schema's listeners only,
// and names none when they would not fit in a notice (the listener then
// has only the notice to read the feed). Notices arrive in commit order, so
// the first list received must be the last change's.
func TestChangeNoticesNameCredentials(t *testing.T) {
	t.Parallel()
	db, foreign := MustOpenDB(t), MustOpenDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	named, proceed := make(chan []string), make(chan struct{})
	notices := db.ChangeNotices(ctx, func(ids []string) {
		select {
		case named <- ids:
		case <-ctx.Done():
			return
		}
		select {
		case <-proceed:
		case <-ctx.Done():
		}
	})
	select { // sent once it listens
	case <-notices:
	case <-time.After(30 * time.Second):
		t.Fatal("no notice once listening")
	}

	// Another schema's change: not this schema's listener's business.
	_, err := foreign.Writer().ExecContext(ctx, `INSERT INTO credential_changes (credential_id, changed_at) VALUES ('apikey_foreign', now())`)
	require.NoError(t, err)
	require.NoError(t, foreign.SequenceChanges(ctx))
	// 300 changes at once: too many IDs for one notice.
	_, err = db.Writer().ExecContext(ctx, `INSERT INTO credential_changes (credential_id, changed_at)
		SELECT 'apikey_' || lpad(g::text, 40, '0'), now() FROM generate_series(1, 300) AS g`)
	require.NoError(t, err)
	require.NoError(t, db.SequenceChanges(ctx))

	// A key made through another store on the same schema, as another node.
	other, err := postgres.Open(ctx, db.url)
	require.NoError(t, err)
	defer other.Close()
	svc := app.New(other)
	acc, err := svc.CreateAccount(ctx, keygate.AccountCreate{Environment: keygate.Live, Name: "Acme"})
	require.NoError(t, err)
	k, _, err := svc.CreateAPIKey(ctx, app.AccountScope(acc.ID), acc.ID, keygate.APIKeyCreate{Name: "k", Permissions: []keygate.Permission{"customer.read"}})
	require.NoError(t, err)
	select {
	case ids := <-named:
		require.Equal(t, []string{k.ID}, ids, "the first list named is the new key's alone")
	case <-time.After(30 * time.Second):
		t.Fatal("the new key was not named")
	}
	select { // the earlier notices, while the listener waits in the callback
	case <-notices:
	default:
	}
	proceed <- struct{}{}
	select {
	case <-notices:
	case <-time.After(30 * time.Second):
		t.Fatal("a notice to read the feed follows the IDs")
	}

	_, err = svc.RevokeAPIKey(ctx, app.AccountScope(acc.ID), k.ID)
	require.NoError(t, err)
	select {
	case ids := <-named:
		require.Equal(t, []string{k.ID}, ids, "the revoked key is named")
	case <-time.After(30 * time.Second):
		t.Fatal("the revoked key was not named")
	}
	proceed <- struct{}{}
}
