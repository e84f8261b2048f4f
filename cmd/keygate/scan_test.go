package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate/credential"
)

// TestScan plants a key in a directory tree: keygate scan names its file
// and line with the key obfuscated and exits 1; a clean tree exits 0; keys
// of another prefix or with a bad check are not reported; standard input
// is scanned too.
func TestScan(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key := credential.NewAPIKey("", credential.EnvLive, time.Now()).Token
	flipped := key[:len(key)-1] + map[bool]string{true: "B", false: "A"}[key[len(key)-1] == 'A']
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "config", "deep"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "README.md"), []byte("nothing\n"+flipped+"\n"+credential.NewAPIKey("acme", credential.EnvLive, time.Now()).Token+"\n"), 0o644))
	planted := filepath.Join(dir, "config", "deep", "prod.env")
	require.NoError(t, os.WriteFile(planted, []byte("# settings\nDEBUG=0\nPADDLE_API_KEY="+key+"\n"), 0o644))

	c := &cli{t: t, env: map[string]string{}}
	out, errOut, err := c.run("", "scan", dir)
	require.ErrorIs(t, err, errFound)
	require.Equal(t, 1, exitCode(err))
	require.Equal(t, planted+":3: "+credential.Obfuscate("", credential.EnvLive, "apikey_"+mustParse(t, key).ID)+" (live)\n", out)
	require.NotContains(t, out+errOut, key, "the key itself is never printed")
	require.Contains(t, errOut, "found keygate API keys")

	out, _, err = c.run("", "scan", filepath.Join(dir, "README.md"))
	require.NoError(t, err, "a bad check and another prefix are not keys")
	require.Empty(t, out)

	out, _, err = c.run("before\n\n  "+key+"\n", "scan")
	require.ErrorIs(t, err, errFound)
	require.Contains(t, out, "(stdin):3: pdl_live_apikey_")

	acme := &cli{t: t, env: map[string]string{"KEYGATE_KEY_PREFIX": "acme"}}
	out, _, err = acme.run("", "scan", dir)
	require.ErrorIs(t, err, errFound, "the deployment's prefix decides")
	require.Contains(t, out, "README.md:3: acme_live_apikey_")
}

func mustParse(t *testing.T, token string) credential.Token {
	tok, err := credential.Parse(token)
	require.NoError(t, err)
	return tok
}

// TestScanGit finds a key that was committed and removed since, in any
// branch, with its commit, file and line.
func TestScanGit(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	dir := t.TempDir()
	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "commit.gpgsign=false"}, args...)...)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "git %v: %s", args, out)
		return strings.TrimSpace(string(out))
	}
	git("init", "-q", "-b", "main")
	key := credential.NewAPIKey("", credential.EnvSandbox, time.Now()).Token
	require.NoError(t, os.WriteFile(filepath.Join(dir, "app.py"), []byte("import os\n\nKEY = 'x'\n"), 0o644))
	git("add", ".")
	git("commit", "-q", "-m", "one")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "app.py"), []byte("import os\n\nKEY = '"+key+"'\n"), 0o644))
	git("commit", "-q", "-am", "oops")
	leak := git("rev-parse", "HEAD")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "app.py"), []byte("import os\n\nKEY = os.environ['KEY']\n"), 0o644))
	git("commit", "-q", "-am", "fix")

	c := &cli{t: t, env: map[string]string{}}
	out, _, err := c.run("", "scan", dir)
	require.NoError(t, err, "the working tree is clean")
	require.Empty(t, out)
	out, _, err = c.run("", "scan", "--git", dir)
	require.ErrorIs(t, err, errFound)
	require.Equal(t, leak[:12]+":app.py:3: "+credential.Obfuscate("", credential.EnvSandbox, "apikey_"+mustParse(t, key).ID)+" (sandbox)\n", out)
}

// TestScanReport records what it found as exposures through the same use
// case as a code host: the active key is revoked by the system.
func TestScanReport(t *testing.T) {
	t.Parallel()
	for name, c := range engines(t) {
		t.Run(name, func(t *testing.T) {
			acc := strings.TrimSpace(c.must("accounts", "create", "--environment", "live", "--name", "Acme"))
			token := strings.TrimSpace(c.must("api-keys", "create", "--account", acc, "--name", "k", "--permissions", "customer.read"))
			stranger := credential.NewAPIKey("", credential.EnvLive, time.Now()).Token
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, "deploy.sh"), []byte("export K="+token+"\nexport S="+stranger+"\n"), 0o644))
			out, _, err := c.run("", "scan", "--report", dir)
			require.ErrorIs(t, err, errFound)
			require.Contains(t, out, "reported: 1 new exposure(s) recorded, 1 active key(s) revoked, 1 not keys of this deployment")
			var keys []struct {
				Status    string `json:"status"`
				ExposedAt string `json:"exposed_at"`
			}
			require.NoError(t, json.Unmarshal([]byte(c.must("api-keys", "list", "--account", acc, "--json")), &keys))
			require.Equal(t, "revoked", keys[0].Status)
			require.NotEmpty(t, keys[0].ExposedAt)
			out, _, err = c.run("", "scan", "--report", dir)
			require.ErrorIs(t, err, errFound)
			require.Contains(t, out, "reported: 0 new exposure(s) recorded", "the same leak is one exposure")
		})
	}
}
