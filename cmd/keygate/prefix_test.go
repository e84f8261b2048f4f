package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/storetest"
)

// TestKeyPrefix serves a deployment created with KEYGATE_KEY_PREFIX=acme
// on both engines: its keys start with acme_, authenticate across a
// restart, and a start with another prefix refuses with a clear message.
func TestKeyPrefix(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts processes")
	}
	engines := map[string]map[string]string{"sqlite": {"KEYGATE_DATA_DIR": t.TempDir()}}
	if os.Getenv(storetest.PostgresURLEnv) != "" {
		u, _ := storetest.PostgresSchema(t)
		engines["postgres"] = map[string]string{"KEYGATE_DATABASE_URL": u}
	}
	for name, store := range engines {
		t.Run(name, func(t *testing.T) {
			store["KEYGATE_KEY_PREFIX"] = "acme"
			env := serveEnv(t.TempDir())
			for k, v := range store {
				env[k] = v
			}
			c := &cli{t: t, env: store}
			acc := strings.TrimSpace(c.must("accounts", "create", "--environment", "live", "--name", "Acme"))
			token := strings.TrimSpace(c.must("api-keys", "create", "--account", acc, "--name", "k", "--permissions", "customer.read"))
			require.True(t, strings.HasPrefix(token, "acme_live_apikey_"), token)
			require.Len(t, token, 70)
			var keys []struct{ Key string }
			require.NoError(t, json.Unmarshal([]byte(c.must("api-keys", "list", "--account", acc, "--json")), &keys))
			require.True(t, strings.HasPrefix(keys[0].Key, "acme_live_apikey_"), "the obfuscated key has the prefix too: %s", keys[0].Key)

			cmd, urls := startServe(t, env)
			status, _ := call(t, urls["live API"], "/event-types", token)
			require.Equal(t, 200, status)
			tok, err := credential.Parse(token)
			require.NoError(t, err)
			pdl := "pdl" + token[len("acme"):strings.LastIndexByte(token, '_')]
			pdl += "_" + credential.Check(pdl)
			_, code := call(t, urls["live API"], "/event-types", pdl)
			require.Equal(t, "invalid_token", code, "the same ID and secret under another prefix is not the key %s", tok.ID)

			// A restart with the same prefix: the key still works.
			cmd.Process.Signal(os.Interrupt)
			cmd.Wait()
			_, urls = startServe(t, env)
			status, _ = call(t, urls["live API"], "/event-types", token)
			require.Equal(t, 200, status, "the key works after a restart")

			// Another prefix, or none (pdl), refuses to start.
			for _, other := range []string{"", "beta"} {
				o := &cli{t: t, env: map[string]string{}}
				for k, v := range env {
					o.env[k] = v
				}
				o.env["KEYGATE_KEY_PREFIX"] = other
				_, errOut, err := o.run("", "serve")
				require.Error(t, err)
				want := other
				if want == "" {
					want = "pdl"
				}
				require.Contains(t, err.Error()+errOut, `KEYGATE_KEY_PREFIX is "`+want+`", but this database was created with the key prefix "acme"`)
			}
		})
	}
}

// TestKeyPrefixInvalid refuses a prefix that is not 2 to 8 lower-case
// letters before touching the database.
func TestKeyPrefixInvalid(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"a", "ACME", "acme1", "abcdefghi"} {
		c := &cli{t: t, env: map[string]string{"KEYGATE_DATA_DIR": t.TempDir(), "KEYGATE_KEY_PREFIX": p}}
		_, errOut, err := c.run("", "accounts", "create", "--environment", "live", "--name", "x")
		require.Error(t, err)
		require.Contains(t, err.Error()+errOut, "KEYGATE_KEY_PREFIX: \""+p+"\" is not 2 to 8 lower-case letters")
		_, statErr := os.Stat(c.env["KEYGATE_DATA_DIR"] + "/keygate.db")
		require.True(t, os.IsNotExist(statErr), "no database is created")
	}
}
