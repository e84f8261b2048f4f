package gateway

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/auth"
	"github.com/keygate/keygate/wire"
)

// The identity headers the upstream receives. Any header of the request
// that starts with HeaderPrefix is removed first, so a client can't forge
// them.
const (
	HeaderPrefix         = "X-Keygate-"
	HeaderAccountID      = "X-Keygate-Account-Id"
	HeaderCredentialID   = "X-Keygate-Credential-Id"
	HeaderCredentialKind = "X-Keygate-Credential-Kind"
	HeaderEnvironment    = "X-Keygate-Environment"
	HeaderPermissions    = "X-Keygate-Permissions" // comma-separated, with each write's read
)

// Config configures a Gateway.
type Config struct {
	Environment keygate.Environment
	Upstream    *url.URL
	Routes      *RouteMap
	Verifier    *auth.Verifier
	// TrustedProxies are the proxies whose X-Forwarded-For names the
	// client, for keys' IP allowlists: the API's rule (wire.ClientIP).
	TrustedProxies []netip.Prefix
	// Timeout bounds the wait for the upstream's response headers; default
	// 30 s. Bodies stream both ways without a bound.
	Timeout time.Duration
	DocsURL string
	Logger  *slog.Logger
}

// Gateway authenticates and proxies requests to one environment's upstream.
type Gateway struct {
	cfg   Config
	proxy *httputil.ReverseProxy
}

// New returns a Gateway for cfg.
func New(cfg Config) *Gateway {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.ResponseHeaderTimeout = cfg.Timeout
	transport.MaxIdleConnsPerHost = 1024
	transport.DialContext = (&net.Dialer{Timeout: cfg.Timeout, KeepAlive: 30 * time.Second}).DialContext
	g := &Gateway{cfg: cfg}
	g.proxy = &httputil.ReverseProxy{
		Rewrite:      g.rewrite,
		Transport:    transport,
		ErrorHandler: g.upstreamFailed,
		BufferPool:   buffers, // without one, every response allocates a 32 KiB copy buffer
	}
	return g
}

// errBadGateway answers an upstream that failed or did not answer in time.
var errBadGateway = &keygate.Error{Code: wire.CodeBadGateway, Message: "Endpoint can't process your request."}

// errNoRoute answers a route the map does not list.
var errNoRoute = &keygate.Error{Code: wire.CodeInvalidURL, Message: "URL called is invalid."}

// ServeHTTP authenticates r by its route's rule and proxies it; a route not
// in the map is invalid_url.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r = wire.WithRequestID(w, r)
	if !wire.CanonicalPath(r) {
		wire.WriteError(w, r, g.cfg.DocsURL, errNoRoute)
		return
	}
	rule, ok := g.cfg.Routes.Match(r)
	if !ok {
		wire.WriteError(w, r, g.cfg.DocsURL, errNoRoute)
		return
	}
	p, err := g.cfg.Verifier.AuthenticateRule(r.Context(), g.cfg.Environment, r.Header.Get("Authorization"), rule, wire.ClientIP(r, g.cfg.TrustedProxies))
	if err != nil {
		if _, code := wire.ErrorStatus(err); code == keygate.CodeInternal {
			g.cfg.Logger.ErrorContext(r.Context(), "authenticate", "request_id", wire.RequestID(r), "err", err)
		}
		wire.WriteError(w, r, g.cfg.DocsURL, err)
		return
	}
	g.proxy.ServeHTTP(w, r.WithContext(auth.NewContext(r.Context(), p)))
}

// rewrite points the request at the upstream, removes its credential and
// any identity headers it came with, and adds the principal's.
func (g *Gateway) rewrite(pr *httputil.ProxyRequest) {
	pr.SetURL(g.cfg.Upstream)
	pr.SetXForwarded()
	out := pr.Out.Header
	out.Del("Authorization")
	for name := range out {
		if isIdentityHeader(name) {
			delete(out, name)
		}
	}
	p, _ := auth.FromContext(pr.In.Context())
	// One backing array for the six values: one allocation, not six.
	v := [...]string{p.AccountID, p.CredentialID, p.Kind.String(), string(p.Environment), permissionsHeader(p.Permissions), wire.RequestID(pr.In)}
	vals := v[:]
	out[HeaderAccountID] = vals[0:1:1]
	out[HeaderCredentialID] = vals[1:2:2]
	out[HeaderCredentialKind] = vals[2:3:3]
	out[HeaderEnvironment] = vals[3:4:4]
	out[HeaderPermissions] = vals[4:5:5]
	if vals[5] != "" {
		out["X-Request-Id"] = vals[5:6:6]
	}
}

// upstreamFailed answers a request the upstream did not answer: Paddle's
// bad_gateway envelope.
func (g *Gateway) upstreamFailed(w http.ResponseWriter, r *http.Request, err error) {
	if !errors.Is(err, http.ErrAbortHandler) {
		g.cfg.Logger.WarnContext(r.Context(), "upstream failed", "request_id", wire.RequestID(r), "path", r.URL.Path, "err", err)
	}
	wire.WriteError(w, r, g.cfg.DocsURL, errBadGateway)
}

// bufferPool lends the proxy its copy buffers.
type bufferPool struct{ pool sync.Pool }

// buffers is the gateways' pool of 32 KiB copy buffers.
var buffers = NewBufferPool()

// NewBufferPool returns a pool of 32 KiB copy buffers for an
// httputil.ReverseProxy, the size it uses without one.
func NewBufferPool() httputil.BufferPool {
	return &bufferPool{pool: sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}}
}

// Get implements httputil.BufferPool.
func (p *bufferPool) Get() []byte { return *p.pool.Get().(*[]byte) }

// Put implements httputil.BufferPool.
func (p *bufferPool) Put(b []byte) { p.pool.Put(&b) }

// permissionHeaders caches the header value of each permission set: a
// process sees few distinct sets.
var permissionHeaders sync.Map // keygate.PermissionSet → string

func permissionsHeader(s keygate.PermissionSet) string {
	if v, ok := permissionHeaders.Load(s); ok {
		return v.(string)
	}
	var names []string
	for _, p := range keygate.Permissions {
		if s.Has(p) {
			names = append(names, string(p))
		}
	}
	v := strings.Join(names, ",")
	permissionHeaders.Store(s, v)
	return v
}
