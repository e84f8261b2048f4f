package fuzz_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate/gateway"
	"github.com/keygate/keygate/wire"
)

// FuzzRouteMatch matches any method and path against the default route
// map: it never panics, and a path the gateway accepts (wire.CanonicalPath)
// has no dot segment, doubled slash or encoded slash left to reinterpret.
func FuzzRouteMatch(f *testing.F) {
	for _, s := range []string{"/products", "/products/pro_01", "/products/..%2Fcustomers", "/products/%2e%2e/customers", "//x", "/a/./b", "/transactions/preview", "/%zz", "/products/a%00"} {
		f.Add("GET", s)
	}
	routes := gateway.DefaultRoutes()
	f.Fuzz(func(t *testing.T, method, path string) {
		r, err := http.NewRequest("GET", "http://keygate.test/", nil)
		require.NoError(t, err)
		r.Method = method
		if err := setPath(r, path); err != nil {
			return
		}
		routes.Match(r)
		if !wire.CanonicalPath(r) {
			return
		}
		p := r.URL.Path
		require.NotContains(t, p, "//")
		for _, seg := range strings.Split(p, "/") {
			require.NotEqual(t, "..", seg)
			require.NotEqual(t, ".", seg)
		}
		require.NotContains(t, strings.ToLower(r.URL.EscapedPath()), "%2f")
		routes.Match(r)
	})
}

// setPath sets r's path from its escaped form, as a server would read it.
func setPath(r *http.Request, escaped string) error {
	u, err := r.URL.Parse(escaped)
	if err != nil || u.Host != r.URL.Host || !strings.HasPrefix(escaped, "/") {
		return errSkip
	}
	r.URL.Path, r.URL.RawPath = u.Path, u.RawPath
	return nil
}

var errSkip = &skipError{}

type skipError struct{}

func (*skipError) Error() string { return "skip" }
