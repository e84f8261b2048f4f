package keygate_test

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
)

// TestAllowsIP checks a key's allowlist: any address without one; with one,
// only the addresses in its networks, IPv4 given as IPv4-mapped IPv6 too
// (as a dual-stack listener reports it).
func TestAllowsIP(t *testing.T) {
	t.Parallel()
	k := &keygate.APIKey{}
	require.True(t, k.AllowsIP(netip.MustParseAddr("203.0.113.9")), "no allowlist: any address")
	k.AllowedIPs = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}
	for addr, want := range map[string]bool{
		"10.1.2.3":        true,
		"::ffff:10.1.2.3": true,
		"2001:db8::1":     true,
		"11.0.0.1":        false,
		"::ffff:11.0.0.1": false,
		"2001:db9::1":     false,
		"::1":             false,
	} {
		require.Equal(t, want, k.AllowsIP(netip.MustParseAddr(addr)), addr)
	}
}
