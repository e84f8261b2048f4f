package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/credential"
)

// testKeyImport checks bulk import: legacy and hashed keys behave as
// legacy keys, a bad line imports nothing and names its line, a second
// import imports nothing twice, and a revoked import stays revoked.
func testKeyImport(t *testing.T, h Harness) {
	b := setup(t, h)
	a := b.mustAccount(t, keygate.Live)
	sc := app.AccountScope(a.ID)
	legacy := credential.NewLegacyKey()
	other := "acme_sk_" + strings.Repeat("x", 30)
	sum := sha256.Sum256([]byte(other))
	created := T0.Add(-400 * 24 * time.Hour)
	file := fmt.Sprintf(`{"key": %q, "name": "Old CRM", "description": "From Paddle.", "created_at": %q}

{"sha256": %q, "name": "From Acme"}
{"sha256": %q, "name": "Third", "description": ""}
`, legacy, created.Format(time.RFC3339Nano), hex.EncodeToString(sum[:]), strings.Repeat("ab", 32))

	res, err := b.svc.ImportKeys(b.ctx, sc, a.ID, strings.NewReader(file), 2)
	require.NoError(t, err)
	require.Len(t, res.Imported, 3)
	require.Zero(t, res.Skipped)
	k := res.Imported[0]
	legacySum := sha256.Sum256([]byte(legacy))
	require.Equal(t, &keygate.APIKey{
		ID: k.ID, AccountID: a.ID, Environment: keygate.Live, Name: "Old CRM", Description: ptr("From Paddle."),
		Status: keygate.APIKeyActive, Legacy: true, SecretHash: legacySum[:], CreatedAt: created, UpdatedAt: T0,
	}, k)
	got, err := b.svc.GetAPIKey(b.ctx, sc, res.Imported[1].ID)
	require.NoError(t, err)
	require.Equal(t, sum[:], got.SecretHash)
	require.True(t, got.Legacy)
	require.Nil(t, got.Permissions)
	require.Nil(t, got.ExpiresAt)
	require.Nil(t, res.Imported[2].Description)
	require.Equal(t, keygate.AllPermissionSet, got.PermissionSet())
	require.Len(t, b.events(t, a), 3, "api_key.created for each")

	// Again: nothing twice. A revoked import is skipped and never comes back.
	_, err = b.svc.RevokeAPIKey(b.ctx, sc, k.ID)
	require.NoError(t, err)
	_, err = b.svc.ReactivateAPIKey(b.ctx, sc, k.ID)
	require.Equal(t, keygate.CodeCannotReactivate, keygate.ErrorCode(err))
	res, err = b.svc.ImportKeys(b.ctx, sc, a.ID, strings.NewReader(file), 0)
	require.NoError(t, err)
	require.Empty(t, res.Imported)
	require.Equal(t, 3, res.Skipped)
	again, err := b.svc.GetAPIKey(b.ctx, sc, k.ID)
	require.NoError(t, err)
	require.Equal(t, keygate.APIKeyRevoked, again.Status)

	count := func() int {
		_, n, err := b.svc.ListAPIKeys(b.ctx, sc, keygate.APIKeyFilter{})
		require.NoError(t, err)
		return n
	}
	before, events := count(), len(b.events(t, a))
	fresh := `{"key": "` + credential.NewLegacyKey() + `", "name": "fine"}` + "\n"
	bad := map[string]string{
		"BadKey":     fresh + `{"key": "short", "name": "x"}`,
		"BadHash":    fresh + fresh[:0] + `{"sha256": "zz", "name": "x"}`,
		"Both":       fresh + `{"key": "` + credential.NewLegacyKey() + `", "sha256": "` + strings.Repeat("cd", 32) + `", "name": "x"}`,
		"Neither":    fresh + `{"name": "x"}`,
		"NoName":     fresh + `{"sha256": "` + strings.Repeat("cd", 32) + `"}`,
		"NotJSON":    fresh + `key=abc`,
		"Unknown":    fresh + `{"sha256": "` + strings.Repeat("cd", 32) + `", "name": "x", "permissions": []}`,
		"Future":     fresh + `{"sha256": "` + strings.Repeat("cd", 32) + `", "name": "x", "created_at": "2099-01-01T00:00:00Z"}`,
		"Duplicate":  fresh + fresh,
		"OtherOwner": fresh + "", // filled below
	}
	b2 := b.mustAccount(t, keygate.Live)
	_, err = b.svc.ImportKeys(b.ctx, app.AccountScope(b2.ID), b2.ID, strings.NewReader(`{"sha256": "`+strings.Repeat("ef", 32)+`", "name": "theirs"}`), 0)
	require.NoError(t, err)
	bad["OtherOwner"] = fresh + `{"sha256": "` + strings.Repeat("ef", 32) + `", "name": "mine"}`
	for name, f := range bad {
		_, err := b.svc.ImportKeys(b.ctx, sc, a.ID, strings.NewReader(f), 1)
		require.Equal(t, keygate.CodeInvalidField, keygate.ErrorCode(err), name)
		require.Contains(t, keygate.ErrorMessage(err), "Line 2", name)
	}
	require.Equal(t, before, count(), "no bad file imported anything")
	require.Len(t, b.events(t, a), events)

	// The same hash in the other environment is another key.
	sdbx := b.mustAccount(t, keygate.Sandbox)
	res, err = b.svc.ImportKeys(b.ctx, app.AccountScope(sdbx.ID), sdbx.ID, strings.NewReader(file), 0)
	require.NoError(t, err)
	require.Len(t, res.Imported, 3)
	_, err = b.svc.ImportKeys(b.ctx, app.AccountScope(sdbx.ID), a.ID, strings.NewReader(file), 0)
	require.Equal(t, keygate.CodeNotFound, keygate.ErrorCode(err), "another account's import is not found")
}
