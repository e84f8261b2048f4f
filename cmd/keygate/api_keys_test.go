package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/wire"
)

var (
	keyPattern        = regexp.MustCompile(`^pdl_(live|sdbx)_apikey_[a-z\d]{26}_[a-zA-Z\d]{22}_[a-zA-Z\d]{3}$`)
	obfuscatedPattern = regexp.MustCompile(`^pdl_(live|sdbx)_apikey_[a-z\d]{10}\*\*\*\*$`)
)

// TestWalkthrough is the README's walk-through, on every engine.
func TestWalkthrough(t *testing.T) {
	t.Parallel()
	for name, c := range engines(t) {
		t.Run(name, func(t *testing.T) {
			c.t = t
			acc := strings.TrimSpace(c.must("accounts", "create", "--environment", "sandbox", "--name", "Acme"))
			require.Regexp(t, `^acc_[a-z\d]{26}$`, acc)

			out, _, err := c.run("correct horse battery\n", "users", "create", "--account", acc, "--email", "ada@example.com", "--password-stdin")
			require.NoError(t, err)
			require.Regexp(t, `^usr_[a-z\d]{26}\n$`, out)

			// Plain output: the key alone on stdout, the reminder on stderr.
			out, errOut, err := c.run("", "api-keys", "create", "--account", acc, "--name", "Script", "--permissions", "price.read")
			require.NoError(t, err)
			token := strings.TrimSpace(out)
			require.Regexp(t, keyPattern, token)
			require.Contains(t, errOut, "only time the key is shown")

			var created wire.APIKey
			c.mustJSON(&created, "api-keys", "create", "--account", acc, "--name", "CRM", "--description", "Syncs customers.",
				"--permissions", "customer.read,transaction.write", "--expires-at", time.Now().Add(48*time.Hour).UTC().Format(time.RFC3339), "--rotatable")
			require.Regexp(t, keyPattern, created.Key, "--json shows the full key this one time")
			require.True(t, strings.HasPrefix(created.Key, "pdl_sdbx_apikey_"+credential.IDBody(created.ID)+"_"))
			tok, err := credential.ParseIn(created.Key, credential.EnvSandbox)
			require.NoError(t, err, "the check digits are right")
			require.Equal(t, credential.IDBody(created.ID), tok.ID)
			require.Equal(t, "active", created.Status)
			require.True(t, created.Rotatable)
			require.Equal(t, []string{"customer.read", "transaction.write"}, created.Permissions)

			var got wire.APIKey
			c.mustJSON(&got, "api-keys", "get", created.ID)
			require.Regexp(t, obfuscatedPattern, got.Key, "the key is obfuscated ever after")
			require.Equal(t, created.ExpiresAt, got.ExpiresAt)

			var list []wire.APIKey
			c.mustJSON(&list, "api-keys", "list", "--account", acc)
			require.Len(t, list, 2)
			for _, k := range list {
				require.Regexp(t, obfuscatedPattern, k.Key)
			}
			require.Contains(t, c.must("api-keys", "list", "--account", acc), "CRM")

			var updated wire.APIKey
			c.mustJSON(&updated, "api-keys", "update", created.ID, "--permissions", "all", "--description", "")
			require.Len(t, updated.Permissions, 37)
			require.Nil(t, updated.Description)
			require.Equal(t, "CRM", updated.Name)

			var revoked, back wire.APIKey
			c.mustJSON(&revoked, "api-keys", "revoke", created.ID)
			require.Equal(t, "revoked", revoked.Status)
			c.mustJSON(&back, "api-keys", "reactivate", created.ID)
			require.Equal(t, "active", back.Status)

			c.mustJSON(&list, "api-keys", "list", "--account", acc, "--status", "revoked")
			require.Empty(t, list)

			require.Contains(t, c.must("accounts", "list"), acc)
			require.Contains(t, c.must("api-keys", "get", created.ID), "Status:       Expiring soon", "it expires in 48 hours")
		})
	}
}

func TestImportLegacy(t *testing.T) {
	t.Parallel()
	c := engines(t)["sqlite"]
	acc := strings.TrimSpace(c.must("accounts", "create", "--environment", "live", "--name", "Old"))
	out, _, err := c.run(credential.NewLegacyKey()+"\n", "api-keys", "import-legacy", "--account", acc, "--name", "Old", "--key-stdin", "--json")
	require.NoError(t, err)
	require.Contains(t, out, `"permissions": null`)
	require.Contains(t, out, `"expires_at": null`)
	require.NotContains(t, out, `"key": "pdl_`)
}
