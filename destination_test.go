package keygate_test

import (
	"net/netip"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
)

func TestAddressPolicy(t *testing.T) {
	t.Parallel()
	var strict *keygate.AddressPolicy
	for _, a := range []string{"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.0.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
		"224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fd12::1", "ff02::1", "::ffff:127.0.0.1", "64:ff9b::a00:1", "192.0.2.1"} {
		require.False(t, strict.Allows(netip.MustParseAddr(a)), a)
	}
	for _, a := range []string{"93.184.216.34", "2606:4700::1", "64:ff9b::5db8:d822", "8.8.8.8"} {
		require.True(t, strict.Allows(netip.MustParseAddr(a)), a)
	}
	p, err := keygate.ParseAddressPolicy("10.0.0.0/8, 127.0.0.1")
	require.NoError(t, err)
	require.True(t, p.Allows(netip.MustParseAddr("10.9.9.9")))
	require.True(t, p.Allows(netip.MustParseAddr("127.0.0.1")))
	require.False(t, p.Allows(netip.MustParseAddr("127.0.0.2")))
	require.False(t, p.Allows(netip.MustParseAddr("192.168.0.1")))
	all, err := keygate.ParseAddressPolicy("all")
	require.NoError(t, err)
	require.True(t, all.Allows(netip.MustParseAddr("169.254.169.254")))
	_, err = keygate.ParseAddressPolicy("10.0.0.0/8,intranet")
	require.Error(t, err)
}

func TestCheckURL(t *testing.T) {
	t.Parallel()
	var strict *keygate.AddressPolicy
	for _, ok := range []string{"https://hooks.example.com/paddle", "http://93.184.216.34:8443/x", "https://[2606:4700::1]/", "https://my_host.example.com./"} {
		require.NoError(t, strict.CheckURL(ok), ok)
	}
	for _, bad := range []string{"http://127.0.0.1/", "http://localhost:80/", "http://svc/", "http://db.internal/", "http://a..b/",
		"http://2130706433/", "http://127.1/", "ftp://example.com/", "http://example.com:0/", "http://u@example.com/", "mailto:a@example.com"} {
		require.Error(t, strict.CheckURL(bad), bad)
	}
	p, err := keygate.ParseAddressPolicy("10.0.0.0/8")
	require.NoError(t, err)
	require.NoError(t, p.CheckURL("http://hooks.corp.internal/"), "names are checked when dialled once private ranges are allowed")
	require.NoError(t, p.CheckURL("http://10.0.0.5/"))
	require.Error(t, p.CheckURL("http://127.0.0.1/"))
}

// FuzzCheckURL checks webhook destination validation on any input: it
// never panics, and what it accepts under the default policy is an http(s)
// URL whose host, if an address, is public.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"https://hooks.example.com/paddle", "http://127.0.0.1:8080/", "http://[::ffff:169.254.169.254]/",
		"http://0x7f.1/", "http://localhost./", "https://a_b.example.com:443/x?y#z", "http://[fe80::1%25eth0]/", "http://u:p@h.example/", "", "http://"} {
		f.Add(s)
	}
	var strict *keygate.AddressPolicy
	f.Fuzz(func(t *testing.T, raw string) {
		if strict.CheckURL(raw) != nil {
			return
		}
		u, err := url.Parse(raw)
		require.NoError(t, err)
		require.Contains(t, []string{"http", "https"}, u.Scheme)
		if a, err := netip.ParseAddr(u.Hostname()); err == nil {
			require.True(t, keygate.IsPublicAddr(a), raw)
		}
	})
}
