package dashboard

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/wire"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Config configures the dashboard of one environment.
type Config struct {
	Environment keygate.Environment
	// Secure marks cookies Secure even when keygate itself is reached over
	// plain HTTP behind a TLS-terminating proxy.
	Secure bool
	Logger *slog.Logger
	// Now returns the current time; default time.Now.
	Now func() time.Time
	// PayoutSettingsURL and RetainSettingsURL are where magic links with
	// redirect=payout_settings and retain_settings send the seller; without
	// them, the seller is told there is no such page.
	PayoutSettingsURL, RetainSettingsURL string
	// AllowMagicWithoutOrigin accepts magic links followed with neither an
	// Origin nor a Referer header (off: such links are refused).
	AllowMagicWithoutOrigin bool
	// OtherDashboardURL is the base URL of the other environment's
	// dashboard, where the header's sandbox/live switch goes; without it
	// the switch is not shown.
	OtherDashboardURL string
	// TrustedProxies are the proxies whose X-Forwarded-For names the
	// client, as for the API (KEYGATE_TRUSTED_PROXIES).
	TrustedProxies []netip.Prefix
}

// Server is the dashboard of one environment.
type Server struct {
	cfg     Config
	svc     *app.Service
	handler http.Handler
}

// NewServer returns the dashboard of cfg.Environment over svc.
func NewServer(cfg Config, svc *app.Service) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, svc: svc}
	s.handler = secure(s.withClient(s.routes()))
	return s
}

// withClient puts the request's client (its IP, by the trusted-proxy rule,
// and user agent) in its context, for the audit log.
func (s *Server) withClient(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := app.Client{IP: s.clientIP(r), UserAgent: r.UserAgent()}
		next.ServeHTTP(w, r.WithContext(app.WithClient(r.Context(), c)))
	})
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// routes maps every page of the dashboard.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.FileServerFS(staticFiles))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", s.handleReadyz)
	mux.HandleFunc("GET /setup", s.handleSetupForm)
	mux.HandleFunc("POST /setup", s.handleSetup)
	mux.HandleFunc("GET /sign-in", s.handleSignInForm)
	mux.HandleFunc("POST /sign-in", s.handleSignIn)
	mux.HandleFunc("GET /magic-sessions/login", s.handleMagicLogin)

	auth := s.requireSession
	mux.Handle("POST /sign-out", auth(http.HandlerFunc(s.handleSignOut)))
	mux.Handle("GET /{$}", http.RedirectHandler("/authentication", http.StatusSeeOther))
	mux.Handle("GET /authentication", auth(http.HandlerFunc(s.handleKeys)))
	mux.Handle("GET /authentication/api-keys/new", auth(http.HandlerFunc(s.handleKeyNewForm)))
	mux.Handle("POST /authentication/api-keys", auth(http.HandlerFunc(s.handleKeyCreate)))
	mux.Handle("GET /authentication/api-keys/{id}", auth(http.HandlerFunc(s.handleKeyPage)))
	mux.Handle("GET /authentication/api-keys/{id}/edit", auth(http.HandlerFunc(s.handleKeyEditForm)))
	mux.Handle("POST /authentication/api-keys/{id}", auth(http.HandlerFunc(s.handleKeyEdit)))
	mux.Handle("GET /authentication/api-keys/{id}/exposures", auth(http.HandlerFunc(s.handleKeyExposures)))
	mux.Handle("GET /authentication/api-keys/{id}/rotate", auth(http.HandlerFunc(s.handleKeyRotateForm)))
	mux.Handle("POST /authentication/api-keys/{id}/rotate", auth(http.HandlerFunc(s.handleKeyRotate)))
	mux.Handle("GET /authentication/api-keys/{id}/revoke", auth(http.HandlerFunc(s.handleKeyRevokeForm)))
	mux.Handle("POST /authentication/api-keys/{id}/revoke", auth(http.HandlerFunc(s.handleKeyRevoke)))
	mux.Handle("POST /authentication/api-keys/{id}/reactivate", auth(http.HandlerFunc(s.handleKeyReactivate)))
	mux.Handle("GET /authentication/client-tokens", auth(http.HandlerFunc(s.handleClientTokens)))
	mux.Handle("POST /authentication/client-tokens", auth(http.HandlerFunc(s.handleClientTokenCreate)))
	mux.Handle("POST /authentication/client-tokens/{id}/revoke", auth(http.HandlerFunc(s.handleClientTokenRevoke)))
	mux.Handle("GET /onboarding", auth(http.HandlerFunc(s.handleOnboardingForm)))
	mux.Handle("POST /onboarding", auth(http.HandlerFunc(s.handleOnboarding)))
	mux.Handle("GET /notifications", auth(http.HandlerFunc(s.handleDestinations)))
	mux.Handle("GET /notifications/new", auth(http.HandlerFunc(s.handleDestinationNewForm)))
	mux.Handle("POST /notifications", auth(http.HandlerFunc(s.handleDestinationCreate)))
	mux.Handle("GET /notifications/{id}", auth(http.HandlerFunc(s.handleDestination)))
	mux.Handle("POST /notifications/{id}", auth(http.HandlerFunc(s.handleDestinationEdit)))
	mux.Handle("POST /notifications/{id}/delete", auth(http.HandlerFunc(s.handleDestinationDelete)))
	mux.Handle("POST /notifications/{id}/deliveries/{ntf}/replay", auth(http.HandlerFunc(s.handleDeliveryReplay)))
	mux.Handle("POST /notifications/{id}/test", auth(http.HandlerFunc(s.handleSendTest)))
	mux.Handle("GET /events", auth(http.HandlerFunc(s.handleEvents)))
	mux.Handle("GET /audit-log", auth(http.HandlerFunc(s.handleAuditLog)))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, keygate.CodeNotFound, "There is no such page.")
	})
	return mux
}

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"time": func(t *time.Time) string {
		if t == nil {
			return "Never"
		}
		return t.UTC().Format("2 Jan 2006 15:04 UTC")
	},
	"date":  func(t time.Time) string { return t.UTC().Format("2 Jan 2006") },
	"exact": exact,
	"count": count,
	// ago is t relative to now in a <time> element with the exact time on
	// hover; "Never" for nil.
	"ago": func(v any, now time.Time) template.HTML {
		var t *time.Time
		switch v := v.(type) {
		case *time.Time:
			t = v
		case time.Time:
			t = &v
		}
		if t == nil {
			return "Never"
		}
		return template.HTML(`<time datetime="` + t.UTC().Format(time.RFC3339) + `" title="` + exact(*t) + `">` + relative(*t, now) + `</time>`)
	},
	"plain": plainName,
	"in":    strings.HasPrefix,
	"add":   func(a, b int) int { return a + b },
	"sub":   func(a, b int) int { return a - b },
	"half":  func(a int) int { return a / 2 },
	"neg":   func(a int) int { return -a },
	// fieldError is the problem of a form's field, next to it, and invalid
	// marks the field for assistive technology.
	"rateLimitPeriods": func() []keygate.RatePeriod {
		return []keygate.RatePeriod{keygate.PerSecond, keygate.PerMinute, keygate.PerHour}
	},
	"fieldError": func(fields map[string]string, name string) template.HTML {
		msg, ok := fields[name]
		if !ok {
			return ""
		}
		return template.HTML(`<p class="field-error" id="` + template.HTMLEscapeString(name) + `-error">` + template.HTMLEscapeString(msg) + `</p>`)
	},
	"invalid": func(fields map[string]string, name string) template.HTMLAttr {
		if _, ok := fields[name]; !ok {
			return ""
		}
		return template.HTMLAttr(`aria-invalid="true" aria-describedby="` + template.HTMLEscapeString(name) + `-error"`)
	},
	"has": func(list []keygate.EventType, t keygate.EventType) bool { return slices.Contains(list, t) },
	"join": func(ps []keygate.Permission) string {
		out := make([]string, len(ps))
		for i, p := range ps {
			out[i] = string(p)
		}
		return strings.Join(out, ", ")
	},
}

// pages returns every page parsed with the layout. It parses them on its
// first call, once per process and shared by both environments' dashboards:
// parsing takes tens of milliseconds of CPU, which `keygate serve` need not
// spend before it is ready (docs/performance.md, "Start").
var pages = sync.OnceValue(parsePages)

// parsePages parses each page with the layout.
func parsePages() map[string]*template.Template {
	// The layout and the partials every page may use: the key form's
	// permissions, the destinations' events, and each part_*.html (the key
	// page's sections).
	partials := []string{"templates/layout.html", "templates/key_form.html", "templates/destination_fields.html", "templates/part_*.html"}
	layout := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, partials...))
	pages := map[string]*template.Template{}
	entries, _ := templateFiles.ReadDir("templates")
	for _, e := range entries {
		if e.Name() == "layout.html" || e.Name() == "key_form.html" || e.Name() == "destination_fields.html" || strings.HasPrefix(e.Name(), "part_") {
			continue
		}
		pages[e.Name()] = template.Must(template.Must(layout.Clone()).ParseFS(templateFiles, "templates/"+e.Name()))
	}
	return pages
}

// page is what every page's template gets.
type page struct {
	Title       string
	Environment keygate.Environment
	OtherURL    string // the other environment's dashboard
	Path        string // the request's, to mark the current section
	Now         time.Time
	Session     *keygate.Session
	CSRF        string
	Error       string
	// Fields are the form's field problems, by field name, shown next to
	// each field.
	Fields map[string]string
	// Notice confirms the change just made.
	Notice string
	Data   any
}

// render writes a page with status.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	p.Environment, p.OtherURL, p.Now, p.Path = s.cfg.Environment, s.cfg.OtherDashboardURL, s.cfg.Now(), r.URL.Path
	if p.Session == nil {
		p.Session = sessionOf(r)
	}
	if p.Session != nil && p.CSRF == "" {
		p.CSRF = p.Session.CSRFToken
	}
	var buf bytes.Buffer
	if err := pages()[name].ExecuteTemplate(&buf, "layout.html", p); err != nil {
		if name == "error.html" { // nothing left to render with
			s.cfg.Logger.ErrorContext(r.Context(), "dashboard: render", "request_id", wire.RequestID(r), "page", name, "err", err)
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		s.serveError(w, r, fmt.Errorf("render %s: %w", name, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.Store.Ping(r.Context()); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("store unreachable\n"))
		return
	}
	w.Write([]byte("ok\n"))
}
