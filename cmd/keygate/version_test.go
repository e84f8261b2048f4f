package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate/sqlite"
)

// TestVersion checks keygate version and --version: the version, the
// commit and the schema version (the newest migration).
func TestVersion(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"version", "--version"} {
		c := &cli{t: t, env: map[string]string{}}
		out, _, err := c.run("", arg)
		require.NoError(t, err)
		require.Contains(t, out, "keygate devel\n")
		require.Contains(t, out, "\ncommit ")
		require.Contains(t, out, "\nschema "+sqlite.SchemaVersion()+"\n")
		require.Regexp(t, `^\d{4}_`, sqlite.SchemaVersion())
	}
}

// TestGroupHelp checks that keygate api-keys -h lists its commands, and
// that an unknown flag is reported once.
func TestGroupHelp(t *testing.T) {
	t.Parallel()
	c := &cli{t: t, env: map[string]string{}}
	out, _, err := c.run("", "api-keys", "-h")
	require.NoError(t, err)
	for _, sub := range []string{"create", "list", "get", "update", "revoke", "reactivate", "import-legacy"} {
		require.Contains(t, out, "keygate api-keys "+sub+"\n")
	}
	_, errOut, err := c.run("", "api-keys")
	require.Error(t, err, "a group alone is a usage error")
	require.Contains(t, errOut, "needs a command")

	_, errOut, err = c.run("", "api-keys", "list", "--bogus")
	require.Error(t, err)
	require.Equal(t, 1, strings.Count(errOut, "-bogus"), errOut)
	require.Contains(t, errOut, "Usage: keygate api-keys list")
}
