package gateway

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/auth"
)

//go:embed paddle-routes.txt
var paddleRoutes string

// RouteMap maps method and path patterns to what they require. It matches
// requests with net/http's ServeMux patterns, so "GET /customers/{id}" and
// "/files/{path...}" mean what they mean there.
type RouteMap struct {
	mux   *http.ServeMux
	rules map[string]auth.Rule
	// Len is the number of routes.
	Len int
}

// DefaultRoutes returns Paddle's operation table (spec section 4.3):
// products, prices, discounts, customers and their addresses, businesses and
// payment methods, transactions, subscriptions, adjustments, reports,
// simulations; price and transaction previews accept client-side tokens.
func DefaultRoutes() *RouteMap {
	m, err := ParseRoutes(strings.NewReader(paddleRoutes))
	if err != nil {
		panic("gateway: the built-in route map is invalid: " + err.Error())
	}
	return m
}

// ParseRoutes reads a route map: one route a line,
//
//	METHOD PATTERN REQUIREMENT [client_token]
//
// where REQUIREMENT is a permission (product.read), or none (any valid
// credential); client_token, after it, lets client-side tokens through too.
// A line that is just METHOD PATTERN client_token accepts client-side
// tokens and API keys without a permission. Blank lines and lines starting
// with # are ignored. Every problem names its line.
func ParseRoutes(r io.Reader) (*RouteMap, error) {
	m := &RouteMap{mux: http.NewServeMux(), rules: map[string]auth.Rule{}}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := m.add(strings.Fields(line)); err != nil {
			return nil, fmt.Errorf("route map line %d: %w", n, err)
		}
	}
	return m, sc.Err()
}

// add adds one route from the fields of its line.
func (m *RouteMap) add(f []string) error {
	if len(f) < 3 || len(f) > 4 {
		return fmt.Errorf("want METHOD PATTERN REQUIREMENT [client_token], got %d fields", len(f))
	}
	method, path := f[0], f[1]
	if method != strings.ToUpper(method) || !strings.HasPrefix(path, "/") {
		return fmt.Errorf("%q %q is not an upper-case method and a path", method, path)
	}
	var rule auth.Rule
	switch req := f[2]; {
	case req == "client_token" && len(f) == 3:
		rule.ClientTokens = true
	case req == "none":
	case keygate.Permission(req).Known():
		rule.Permission = keygate.Permission(req)
	default:
		return fmt.Errorf("%q is not a permission, none or client_token", req)
	}
	if len(f) == 4 {
		if f[3] != "client_token" {
			return fmt.Errorf("%q: only client_token may follow the requirement", f[3])
		}
		rule.ClientTokens = true
	}
	pattern := method + " " + path
	if _, dup := m.rules[pattern]; dup {
		return fmt.Errorf("%s is listed twice", pattern)
	}
	if err := register(m.mux, pattern); err != nil {
		return err
	}
	m.rules[pattern] = rule
	m.Len++
	return nil
}

// register adds pattern to mux, turning ServeMux's panic on a bad or
// conflicting pattern into an error.
func register(mux *http.ServeMux, pattern string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: %v", pattern, p)
		}
	}()
	mux.Handle(pattern, http.NotFoundHandler())
	return nil
}

// Match returns the rule of the route r matches, and whether it matches one.
func (m *RouteMap) Match(r *http.Request) (auth.Rule, bool) {
	_, pattern := m.mux.Handler(r)
	rule, ok := m.rules[pattern]
	return rule, ok
}
