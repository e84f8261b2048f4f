package wire

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ClientIP returns the address a request came from, by the one rule every
// surface uses (rate limits, sign-in throttles, logs): the peer's address,
// unless the peer is one of the trusted proxies, in which case the
// right-most address of X-Forwarded-For that is not itself a trusted proxy.
// A garbled X-Forwarded-For is not trusted at all. The zero Addr means the
// peer's address could not be read.
func ClientIP(r *http.Request, trusted []netip.Prefix) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	ip = ip.Unmap()
	if !isTrusted(trusted, ip) {
		return ip
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return ip // a garbled header: trust none of it
		}
		if hop = hop.Unmap(); !isTrusted(trusted, hop) {
			return hop
		}
	}
	return ip
}

func isTrusted(trusted []netip.Prefix, ip netip.Addr) bool {
	for _, p := range trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
