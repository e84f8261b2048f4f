package api

import (
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/auth"
	"github.com/keygate/keygate/secretscan"
)

// DefaultDocsURL is where documentation_url points by default: Paddle's
// docs, which describe every code keygate shares with Paddle.
const DefaultDocsURL = "https://developer.paddle.com"

// DefaultRateLimit is Paddle's limit: 240 requests a minute per IP.
const DefaultRateLimit = 240

// Config configures the API of one environment.
type Config struct {
	Environment keygate.Environment
	// BaseURL is the surface's public base URL ("https://api.example.com"),
	// under which pagination's next links are written.
	BaseURL string
	// DocsURL is the base of every error's documentation_url.
	DocsURL string
	// RateLimit is requests per minute per client IP; 0 turns it off.
	RateLimit int
	// SharedLimits, if set, shares the rate limit's counts with the other
	// nodes of a cluster (PostgreSQL); without it each process counts alone.
	SharedLimits *SharedLimits
	// TrustedProxies are the proxies whose X-Forwarded-For names the client.
	TrustedProxies []netip.Prefix
	Logger         *slog.Logger
	// Now returns the current time; default time.Now.
	Now func() time.Time
	// Gateway, if set, serves every request keygate does not serve itself
	// (the gateway to the operator's API); without it they are invalid_url.
	Gateway http.Handler
	// GitHubKeys verifies GitHub's secret-scanning reports; nil turns
	// POST /secret-scanning/github off.
	GitHubKeys *secretscan.GitHubKeys
	// GitLabToken authenticates GitLab's token revocation requests; ""
	// turns /secret-scanning/gitlab off.
	GitLabToken string
}

// Server is the API of one environment.
type Server struct {
	cfg      Config
	svc      *app.Service
	verifier *auth.Verifier
	store    keygate.Store
	metrics  *Metrics
	limiter  *rateLimiter
	logger   *slog.Logger
	handler  http.Handler
}

// NewServer returns the API of cfg.Environment over the use cases of svc,
// authenticating with verifier. metrics may be shared by several servers.
func NewServer(cfg Config, svc *app.Service, verifier *auth.Verifier, metrics *Metrics) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.DocsURL == "" {
		cfg.DocsURL = DefaultDocsURL
	}
	cfg.DocsURL = strings.TrimSuffix(cfg.DocsURL, "/")
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if metrics == nil {
		metrics = NewMetrics()
	}
	s := &Server{cfg: cfg, svc: svc, verifier: verifier, store: svc.Store, metrics: metrics, logger: cfg.Logger}
	if cfg.RateLimit > 0 {
		s.limiter = newRateLimiter(cfg.RateLimit, cfg.TrustedProxies, cfg.Now)
		s.limiter.shared, s.limiter.scope = cfg.SharedLimits, string(cfg.Environment)
	}
	s.handler = s.observe(s.routes())
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}
