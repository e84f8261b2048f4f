package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate/storetest"
)

// TestMain lets the test binary act as the keygate command, so that tests
// can run it as a real process (for signals) without building it:
// KEYGATE_TEST_AS_MAIN=1 makes it run main with its arguments.
func TestMain(m *testing.M) {
	if os.Getenv("KEYGATE_TEST_AS_MAIN") == "1" {
		os.Args = append(os.Args[:1], strings.Fields(os.Getenv("KEYGATE_TEST_ARGS"))...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// cli runs keygate commands in-process against one store.
type cli struct {
	t   *testing.T
	env map[string]string
}

// engines returns a CLI on a fresh SQLite data directory, and one on a fresh
// PostgreSQL schema when KEYGATE_TEST_POSTGRES_URL is set.
func engines(t *testing.T) map[string]*cli {
	out := map[string]*cli{"sqlite": {t: t, env: map[string]string{"KEYGATE_DATA_DIR": t.TempDir()}}}
	if os.Getenv(storetest.PostgresURLEnv) != "" {
		u, _ := storetest.PostgresSchema(t)
		out["postgres"] = &cli{t: t, env: map[string]string{"KEYGATE_DATABASE_URL": u}}
	}
	return out
}

// run runs one command with stdin and returns its output and error.
func (c *cli) run(stdin string, args ...string) (stdout, stderr string, err error) {
	c.t.Helper()
	var out, errOut bytes.Buffer
	err = run(context.Background(), args, func(k string) string { return c.env[k] }, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

// must runs a command that must succeed and returns its stdout.
func (c *cli) must(args ...string) string {
	c.t.Helper()
	out, errOut, err := c.run("", args...)
	require.NoError(c.t, err, "keygate %s: %s", strings.Join(args, " "), errOut)
	return out
}

// mustJSON runs a command with --json and decodes its output.
func (c *cli) mustJSON(v any, args ...string) {
	c.t.Helper()
	require.NoError(c.t, json.Unmarshal([]byte(c.must(append(args, "--json")...)), v))
}
