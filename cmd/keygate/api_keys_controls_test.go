package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/wire"
)

// TestAPIKeysControlsCLI sets and clears a key's controls with the CLI's
// flags, on every engine.
func TestAPIKeysControlsCLI(t *testing.T) {
	t.Parallel()
	for name, c := range engines(t) {
		t.Run(name, func(t *testing.T) {
			c.t = t
			acc := strings.TrimSpace(c.must("accounts", "create", "--environment", "live", "--name", "Acme"))
			var k wire.APIKey
			c.mustJSON(&k, "api-keys", "create", "--account", acc, "--name", "Limited", "--permissions", "customer.read",
				"--allowed-ips", "10.0.0.0/8,2001:db8::/32", "--rate-limit", "5/s", "--credits", "10", "--credits-refill", "1000/month")
			require.Equal(t, []string{"10.0.0.0/8", "2001:db8::/32"}, k.AllowedIPs)
			require.Equal(t, &keygate.RateLimit{Requests: 5, Per: keygate.PerSecond}, k.RateLimit)
			require.Equal(t, int64(10), k.Credits.Remaining)
			require.Equal(t, &keygate.CreditRefill{Amount: 1000, Interval: keygate.RefillMonthly}, k.Credits.Refill)

			out := c.must("api-keys", "get", k.ID)
			require.Contains(t, out, "10.0.0.0/8, 2001:db8::/32")
			require.Contains(t, out, "5 per second")
			require.Contains(t, out, "10 left, set to 1000 each month")

			var updated wire.APIKey
			c.mustJSON(&updated, "api-keys", "update", k.ID, "--allowed-ips", "", "--rate-limit", "300/m", "--credits", "none")
			require.Empty(t, updated.AllowedIPs)
			require.Equal(t, &keygate.RateLimit{Requests: 300, Per: keygate.PerMinute}, updated.RateLimit)
			require.Nil(t, updated.Credits)
			var cleared wire.APIKey // absent fields must not keep the last decode's values
			c.mustJSON(&cleared, "api-keys", "update", k.ID, "--rate-limit", "none")
			require.Nil(t, cleared.RateLimit)
		})
	}
}
