package api_test

import (
	"net/netip"
	"strings"
)

func mustPrefixes(s string) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range strings.Split(s, ",") {
		out = append(out, netip.MustParsePrefix(p))
	}
	return out
}
