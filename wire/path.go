package wire

import (
	"net/http"
	"strings"
)

// CanonicalPath reports whether r's path is one keygate serves (its API
// and gateway): its
// decoded form is clean (no "." or ".." segment, no doubled slash) and its
// encoded form hides no slash or backslash, so that what a route map
// matches is exactly what an upstream is sent. It also drops the raw form,
// so that a proxied request carries the path as it was matched.
func CanonicalPath(r *http.Request) bool {
	raw := strings.ToLower(r.URL.EscapedPath())
	if strings.Contains(raw, "%2f") || strings.Contains(raw, "%5c") || strings.Contains(raw, "%00") {
		return false
	}
	p := r.URL.Path
	if !strings.HasPrefix(p, "/") || strings.Contains(p, "//") || strings.ContainsAny(p, "\\\x00") {
		return false
	}
	for _, seg := range strings.Split(p[1:], "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	r.URL.RawPath = ""
	return true
}
