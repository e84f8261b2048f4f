package storetest

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/credential"
)

// testNoSecretsAtRest creates, updates and revokes keys, then searches every
// byte the engine stored for their secrets: only SHA-256 hashes may be there.
func testNoSecretsAtRest(t *testing.T, h Harness) {
	b := setup(t, h)
	a := b.mustAccount(t, keygate.Live)
	var secrets []string
	for i := 0; i < 5; i++ {
		k, token := b.mustKey(t, a, "secret-check", "customer.write")
		tok, err := credential.Parse(token)
		require.NoError(t, err)
		secrets = append(secrets, token, tok.Secret)
		if i%2 == 0 {
			_, err := b.svc.RevokeAPIKey(b.ctx, app.AccountScope(a.ID), k.ID)
			require.NoError(t, err)
		}
	}
	legacy := credential.NewLegacyKey()
	_, err := b.svc.ImportLegacyKey(b.ctx, app.AccountScope(a.ID), a.ID, "legacy", legacy)
	require.NoError(t, err)
	secrets = append(secrets, legacy)
	_, err = b.svc.CreateUser(b.ctx, keygate.UserCreate{AccountID: a.ID, Email: "ada@example.com", Password: "hunter2-hunter2"})
	require.NoError(t, err)
	secrets = append(secrets, "hunter2-hunter2")

	dump := h.Dump(t, b.store)
	require.NotEmpty(t, dump)
	require.True(t, bytes.Contains(dump, []byte(a.ID)), "the dump must hold the stored data, or this test proves nothing")
	for _, s := range secrets {
		require.False(t, bytes.Contains(dump, []byte(s)), "secret %.8s… is stored in the clear", s)
	}
}
