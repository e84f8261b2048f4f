package keygate

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// AddressPolicy says which network addresses webhooks may be delivered to.
// The zero (and nil) policy allows only public unicast addresses: a tenant
// must not reach the operator's internal services through a webhook.
// Operators open it deliberately (KEYGATE_WEBHOOK_ALLOW_PRIVATE) with CIDRs,
// or entirely ("all") for tests and closed networks.
type AddressPolicy struct {
	all     bool
	allowed []netip.Prefix
}

// ErrAddressNotAllowed is the error of a delivery refused by the policy; the
// notification log says only its message, never what the address answered.
var ErrAddressNotAllowed = errors.New("destination address not allowed")

// nonPublic are the ranges no webhook reaches by default, besides those
// netip reports as loopback, private, link-local, multicast or unspecified.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and broadcast
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("100::/64"),        // discard-only
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("fc00::/7"),        // unique local
}

// nat64 is the well-known NAT64 prefix: its addresses carry an IPv4 address,
// which is what is really reached.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// ParseAddressPolicy parses KEYGATE_WEBHOOK_ALLOW_PRIVATE: "" for public
// addresses only, "all" for any address, or comma-separated CIDRs (or
// single addresses) that are allowed besides the public ones.
func ParseAddressPolicy(s string) (*AddressPolicy, error) {
	p := &AddressPolicy{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		switch {
		case part == "":
			continue
		case strings.EqualFold(part, "all"):
			p.all = true
			continue
		}
		prefix, err := netip.ParsePrefix(part)
		if err != nil {
			addr, aerr := netip.ParseAddr(part)
			if aerr != nil {
				return nil, fmt.Errorf("%q is neither a CIDR, an IP address nor \"all\"", part)
			}
			prefix = netip.PrefixFrom(addr, addr.BitLen())
		}
		p.allowed = append(p.allowed, prefix.Masked())
	}
	return p, nil
}

// AllowAll returns the policy that allows every address ("all").
func AllowAll() *AddressPolicy { return &AddressPolicy{all: true} }

// Allows reports whether a webhook may connect to addr.
func (p *AddressPolicy) Allows(addr netip.Addr) bool {
	addr = addr.Unmap()
	if !addr.IsValid() {
		return false
	}
	if p != nil {
		if p.all {
			return true
		}
		for _, prefix := range p.allowed {
			if prefix.Contains(addr) {
				return true
			}
		}
	}
	return IsPublicAddr(addr)
}

// IsPublicAddr reports whether addr is a public unicast address: not
// loopback, private, link-local, carrier-grade NAT, multicast, unique-local,
// unspecified, reserved or for documentation.
func IsPublicAddr(addr netip.Addr) bool {
	addr = addr.Unmap().WithZone("")
	if nat64.Contains(addr) {
		b := addr.As16()
		return IsPublicAddr(netip.AddrFrom4([4]byte(b[12:])))
	}
	if !addr.IsValid() || addr.IsLoopback() || addr.IsPrivate() || addr.IsLinkLocalUnicast() ||
		addr.IsLinkLocalMulticast() || addr.IsInterfaceLocalMulticast() || addr.IsMulticast() || addr.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(addr) {
			return false
		}
	}
	return true
}

// privateSuffixes are names that never resolve to a public address.
var privateSuffixes = []string{"localhost", "local", "internal", "intranet", "lan", "home.arpa", "corp"}

// CheckURL checks a webhook destination when it is saved: an http or https
// URL without credentials, whose host is a valid DNS name or an allowed IP
// address. Names are resolved only when connecting (where the policy is
// checked again, so that DNS rebinding cannot get around it); names that are
// private by construction (localhost, single labels, .internal, …) are
// refused here unless private addresses are allowed. The error is a
// message for the destination field.
func (p *AddressPolicy) CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Opaque != "" {
		return errors.New("must be an http or https URL")
	}
	if u.User != nil {
		return errors.New("must not contain a user name or password")
	}
	host := u.Hostname()
	if port := u.Port(); port != "" && (len(port) > 5 || atoi(port) == 0 || atoi(port) > 65535) {
		return errors.New("must have a port between 1 and 65535")
	}
	if addr, err := netip.ParseAddr(host); err == nil {
		if !p.Allows(addr) {
			return fmt.Errorf("must not be a private, loopback, link-local or reserved address (%s)", ErrAddressNotAllowed)
		}
		return nil
	}
	if !validHostname(host) {
		return errors.New("must have a valid host name")
	}
	if p != nil && (p.all || len(p.allowed) > 0) {
		return nil
	}
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	if !strings.Contains(name, ".") {
		return errors.New("must have a fully qualified host name")
	}
	for _, s := range privateSuffixes {
		if name == s || strings.HasSuffix(name, "."+s) {
			return fmt.Errorf("must not be a private host name (%s)", ErrAddressNotAllowed)
		}
	}
	return nil
}

// validHostname reports whether h is a DNS name: dot-separated labels of
// letters, digits and inner hyphens (underscores too, as some names have
// them), each 1–63 characters, 253 in all, not all digits at the top.
func validHostname(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return false
	}
	labels := strings.Split(h, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	top := labels[len(labels)-1]
	return strings.Trim(top, "0123456789") != "" // 127.1 or 2130706433 are addresses, not names
}

// atoi parses a string of at most five digits; anything else is 0.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0
		}
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// CheckDestination checks a webhook destination against the policy when it
// is saved: CodeInvalidField on destination if the policy refuses it. Other
// kinds of destination pass.
func (p *AddressPolicy) CheckDestination(s *NotificationSetting) error {
	if s.Type != DestinationURL {
		return nil
	}
	if err := p.CheckURL(s.Destination); err != nil {
		var v validation
		v.add("destination", "%s", err.Error())
		return v.err()
	}
	return nil
}
