package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestErrors checks that mistakes print one clear line and exit non-zero,
// with status 2 for a wrong command line, and that they change nothing.
func TestErrors(t *testing.T) {
	t.Parallel()
	c := engines(t)["sqlite"]
	acc := strings.TrimSpace(c.must("accounts", "create", "--environment", "live", "--name", "Acme"))

	tests := []struct {
		name   string
		env    map[string]string
		stdin  string
		args   []string
		code   int
		stderr []string
	}{
		{"UnknownCommand", nil, "", []string{"frobnicate"}, 2, []string{`unknown command "frobnicate"`}},
		{"UnknownSubcommand", nil, "", []string{"api-keys", "delete"}, 2, []string{`unknown command "api-keys delete"`}},
		{"NoCommand", nil, "", nil, 2, []string{"no command given"}},
		{"UnknownFlag", nil, "", []string{"api-keys", "list", "--acount", acc}, 2, []string{"flag provided but not defined: -acount"}},
		{"MissingFlags", nil, "", []string{"api-keys", "create", "--account", acc}, 2, []string{"missing required flag(s): --name, --permissions"}},
		{"MissingID", nil, "", []string{"api-keys", "get"}, 2, []string{"expected 1 argument(s), got 0"}},
		{"BadExpiry", nil, "", []string{"api-keys", "create", "--account", acc, "--name", "k", "--permissions", "all", "--expires-at", "tomorrow"}, 2, []string{"is not an RFC 3339 time"}},
		{"Invalid", nil, "", []string{"api-keys", "create", "--account", acc, "--name", "", "--permissions", "price.read,nope.read"}, 1,
			[]string{"Request does not pass validation.", "name: must be between 1 and 150 characters", `permissions: unknown permission "nope.read"`}},
		{"TooFarExpiry", nil, "", []string{"api-keys", "create", "--account", acc, "--name", "k", "--permissions", "all", "--expires-at", "2099-01-01T00:00:00Z"}, 1,
			[]string{"expires_at: must be no more than one year from now"}},
		{"UnknownAccount", nil, "", []string{"api-keys", "create", "--account", "acc_01jkdpbhazdpn3wpcya45as9tg", "--name", "k", "--permissions", "all"}, 1,
			[]string{"Entity acc_01jkdpbhazdpn3wpcya45as9tg not found"}},
		{"UnknownKey", nil, "", []string{"api-keys", "revoke", "apikey_01jkdpbhazdpn3wpcya45as9tg"}, 1, []string{"Entity apikey_01jkdpbhazdpn3wpcya45as9tg not found"}},
		{"NoPassword", nil, "", []string{"users", "create", "--account", acc, "--email", "a@example.com"}, 2, []string{"--password-stdin"}},
		{"EmptyStdin", nil, "", []string{"users", "create", "--account", acc, "--email", "a@example.com", "--password-stdin"}, 1, []string{"nothing to read"}},
		{"BadCIDR", nil, "", []string{"api-keys", "create", "--account", acc, "--name", "k", "--permissions", "all", "--allowed-ips", "10.0.0.0/8,10.0.0.300/8"}, 1,
			[]string{`allowed_ips: entry 2, "10.0.0.300/8": is not a CIDR`}},
		{"BadRateLimit", nil, "", []string{"api-keys", "create", "--account", acc, "--name", "k", "--permissions", "all", "--rate-limit", "5/day"}, 2,
			[]string{`--rate-limit: "5/day" is not requests per period`}},
		{"BadCredits", nil, "", []string{"api-keys", "create", "--account", acc, "--name", "k", "--permissions", "all", "--credits", "ten"}, 2,
			[]string{`--credits: "ten" is not a number of uses`}},
		{"RefillAlone", nil, "", []string{"api-keys", "create", "--account", acc, "--name", "k", "--permissions", "all", "--credits-refill", "5/day"}, 2,
			[]string{"--credits-refill needs --credits"}},
		{"NothingToUpdate", nil, "", []string{"api-keys", "update", "apikey_01jkdpbhazdpn3wpcya45as9tg"}, 2, []string{"nothing to update"}},
		{"BadDatabaseURL", map[string]string{"KEYGATE_DATABASE_URL": "mysql://x"}, "", []string{"migrate"}, 1,
			[]string{"KEYGATE_DATABASE_URL: must be a postgres:// URL"}},
		{"BadWarmUp", map[string]string{"KEYGATE_WARM_KEYS": "-1", "KEYGATE_WARM_TIME": "0s"}, "", []string{"serve"}, 1,
			[]string{"KEYGATE_WARM_KEYS: \"-1\" is not a whole number of keys", "KEYGATE_WARM_TIME: \"0s\" is not a positive duration"}},
		{"AllServeProblemsAtOnce", map[string]string{"KEYGATE_DATABASE_URL": "mysql://x", "KEYGATE_LIVE_API_ADDR": "nonsense", "KEYGATE_SANDBOX_DASHBOARD_ADDR": "127.0.0.1:8090",
			"KEYGATE_RATE_LIMIT": "-1", "KEYGATE_LIVE_RETRIES": "many", "KEYGATE_RETRY_BASE": "soon", "KEYGATE_SMTP_URL": "mail.example.com", "KEYGATE_ENCRYPTION_KEY": "c2hvcnQ="}, "", []string{"serve"}, 1,
			[]string{"KEYGATE_DATABASE_URL", "KEYGATE_LIVE_API_ADDR: \"nonsense\" is not a host:port address", "KEYGATE_SANDBOX_DASHBOARD_ADDR: \"127.0.0.1:8090\" is already the address of KEYGATE_LIVE_DASHBOARD_ADDR",
				"KEYGATE_RATE_LIMIT", "KEYGATE_LIVE_RETRIES", "KEYGATE_RETRY_BASE", "KEYGATE_SMTP_URL", "KEYGATE_ENCRYPTION_KEY: must be 32 bytes in base64"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := &cli{t: t, env: map[string]string{}}
			for k, v := range c.env {
				run.env[k] = v
			}
			for k, v := range tt.env {
				run.env[k] = v
			}
			_, errOut, err := run.run(tt.stdin, tt.args...)
			require.Error(t, err)
			require.Equal(t, tt.code, exitCode(err))
			for _, want := range tt.stderr {
				require.Contains(t, errOut, want)
			}
		})
	}

	// Nothing was left behind by the failures above.
	require.Equal(t, "[]\n", c.must("api-keys", "list", "--account", acc, "--json"))
}

func TestHelp(t *testing.T) {
	t.Parallel()
	c := engines(t)["sqlite"]
	out, _, err := c.run("", "help")
	require.NoError(t, err)
	require.Contains(t, out, "keygate api-keys create")
	_, errOut, err := c.run("", "api-keys", "create", "-h")
	require.NoError(t, err, "asking for help is no failure")
	require.Contains(t, errOut, "-permissions")
	require.Contains(t, errOut, "$KEYGATE_DATA_DIR")
}
