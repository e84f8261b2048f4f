package gateway

import "strings"

// isIdentityHeader reports whether an incoming header could be read by the
// upstream as one of keygate's identity headers: X-Keygate-… in any case,
// with dashes or underscores (some servers treat them alike), which the
// gateway removes before adding its own.
func isIdentityHeader(name string) bool {
	if len(name) < len(HeaderPrefix) {
		return false
	}
	prefix := strings.ReplaceAll(name[:len(HeaderPrefix)], "_", "-")
	return strings.EqualFold(prefix, HeaderPrefix)
}
