package main

import (
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate/notify"
)

// parseServe parses serve's configuration from vars and args, as serve
// does, without starting anything.
func parseServe(t *testing.T, vars map[string]string, args ...string) (*command, error) {
	t.Helper()
	e := &env{getenv: func(k string) string { return vars[k] }, stdout: io.Discard, stderr: io.Discard}
	c := newCommand(e, "serve", "[flags]").withAddrs()
	_, err := c.parse(args, 0)
	return c, err
}

// TestDeliveryPerDestinationConfig checks KEYGATE_DELIVERY_PER_DESTINATION:
// its default, the variable, the flag over the variable, and bad values
// refused naming the variable.
func TestDeliveryPerDestinationConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c, err := parseServe(t, map[string]string{"KEYGATE_DATA_DIR": dir})
	require.NoError(t, err)
	require.Equal(t, notify.DefaultPerDestination, c.cfg.perDestination)

	c, err = parseServe(t, map[string]string{"KEYGATE_DATA_DIR": dir, "KEYGATE_DELIVERY_PER_DESTINATION": "3"})
	require.NoError(t, err)
	require.Equal(t, 3, c.cfg.perDestination)

	c, err = parseServe(t, map[string]string{"KEYGATE_DATA_DIR": dir, "KEYGATE_DELIVERY_PER_DESTINATION": "3"}, "--delivery-per-destination", "40")
	require.NoError(t, err)
	require.Equal(t, 40, c.cfg.perDestination)

	for _, bad := range []string{"0", "-2", "many", "1.5", " "} {
		_, err = parseServe(t, map[string]string{"KEYGATE_DATA_DIR": dir, "KEYGATE_DELIVERY_PER_DESTINATION": bad})
		require.ErrorContains(t, err, "KEYGATE_DELIVERY_PER_DESTINATION", "value %q", bad)
	}
}
