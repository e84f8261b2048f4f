package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate/credential"
)

// TestAPIKeysImport imports a file of legacy and hashed keys with the CLI,
// authenticates both over HTTP on a running keygate, imports again
// (nothing twice), refuses a bad file whole, and refuses to reactivate an
// imported key.
func TestAPIKeysImport(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a process")
	}
	dir := t.TempDir()
	c := &cli{t: t, env: map[string]string{"KEYGATE_DATA_DIR": dir}}
	acc := strings.TrimSpace(c.must("accounts", "create", "--environment", "live", "--name", "Acme"))
	legacy := credential.NewLegacyKey()
	foreign := "sk_live_acme_" + strings.Repeat("Z9", 12)
	sum := sha256.Sum256([]byte(foreign))
	file := filepath.Join(t.TempDir(), "keys.jsonl")
	require.NoError(t, os.WriteFile(file, []byte(`{"key":"`+legacy+`","name":"Old CRM","created_at":"2024-01-02T03:04:05Z"}`+"\n"+
		`{"sha256":"`+hex.EncodeToString(sum[:])+`","name":"From Acme","description":"Billing sync."}`+"\n"), 0o600))

	var res struct {
		Imported []struct {
			ID          string
			Key         string
			Permissions []string
			ExpiresAt   *string `json:"expires_at"`
			CreatedAt   string  `json:"created_at"`
		}
		Skipped int
	}
	require.NoError(t, json.Unmarshal([]byte(c.must("api-keys", "import", "--account", acc, "--file", file, "--json")), &res))
	require.Len(t, res.Imported, 2)
	for _, k := range res.Imported {
		require.Nil(t, k.Permissions)
		require.Nil(t, k.ExpiresAt)
		require.False(t, strings.HasPrefix(k.Key, "pdl_"), k.Key)
	}
	require.Equal(t, "2024-01-02T03:04:05.000000Z", res.Imported[0].CreatedAt)
	out := c.must("api-keys", "import", "--account", acc, "--file", file)
	require.Contains(t, out, "Imported 0 keys, skipped 2")

	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	require.NoError(t, os.WriteFile(bad, []byte(`{"key":"`+credential.NewLegacyKey()+`","name":"fine"}`+"\n\n"+`{"sha256":"nothex","name":"x"}`+"\n"), 0o600))
	_, _, err := c.run("", "api-keys", "import", "--account", acc, "--file", bad)
	require.ErrorContains(t, err, "Line 3")
	var keys []struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(c.must("api-keys", "list", "--account", acc, "--json")), &keys))
	require.Len(t, keys, 2, "nothing of the bad file was imported")

	_, urls := startServe(t, serveEnv(dir))
	for _, token := range []string{legacy, foreign} {
		status, _ := call(t, urls["live API"], "/api-keys", token)
		require.Equal(t, 200, status, "an imported key has full access")
		_, code := call(t, urls["sandbox API"], "/event-types", token)
		require.Equal(t, "invalid_token", code, "and only in its environment")
	}
	_, code := call(t, urls["live API"], "/event-types", "sk_live_acme_"+strings.Repeat("Z9", 11)+"Z8")
	require.Equal(t, "invalid_token", code)

	c.must("api-keys", "revoke", res.Imported[1].ID)
	require.Eventually(t, func() bool {
		_, code := call(t, urls["live API"], "/event-types", foreign)
		return code == "invalid_token"
	}, 5*time.Second, 20*time.Millisecond)
	_, _, err = c.run("", "api-keys", "reactivate", res.Imported[1].ID)
	require.ErrorContains(t, err, "legacy")
}
