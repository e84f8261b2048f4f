package api

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/auth"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/wire"
)

// apiFunc is a handler that returns its error for handle to render.
type apiFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts an apiFunc: a returned error is written in Paddle's
// envelope. The request's client (its IP, by the trusted-proxy rule, and
// user agent) goes in its context for the audit log.
func (s *Server) handle(h apiFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := app.Client{UserAgent: r.UserAgent()}
		if ip := wire.ClientIP(r, s.cfg.TrustedProxies); ip.IsValid() {
			c.IP = ip.String()
		}
		r = r.WithContext(app.WithClient(r.Context(), c))
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// statusRecorder remembers the status a handler wrote, for the log and the
// metrics.
type statusRecorder struct {
	http.ResponseWriter
	status int
	// credentialID and errorCode are noted for the request's log line by
	// authentication and by writeError.
	credentialID, errorCode string
}

func (w *statusRecorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// observe gives every request its ID, recovers from panics, blocks browsers
// from reading the response (Paddle's API is not for browsers: they use
// client-side tokens), and logs and measures the request. It never logs a
// header.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		r = wire.WithRequestID(w, r)
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.logger.ErrorContext(r.Context(), "panic", "request_id", requestID(r), "panic", p)
				if rec.status == 0 {
					s.writeError(rec, r, &keygate.Error{Code: keygate.CodeInternal, Message: "Internal error."})
				}
			}
			elapsed := time.Since(start)
			s.metrics.observe(string(s.cfg.Environment), r.Pattern, rec.status, elapsed)
			if s.logger.Enabled(r.Context(), slog.LevelInfo) { // spares building the record when it is dropped
				s.logger.InfoContext(r.Context(), "request", "request_id", requestID(r), "method", r.Method,
					"path", r.URL.Path, "status", rec.status, "duration", elapsed, "environment", s.cfg.Environment,
					"client_ip", wire.ClientIP(r, s.cfg.TrustedProxies).String(), "credential_id", rec.credentialID, "error_code", rec.errorCode)
			}
		}()
		if r.Method == http.MethodOptions {
			// A CORS preflight: answered, granting nothing, so that no
			// browser may call the API from a page.
			rec.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(rec, r)
	})
}

// limit refuses clients over the rate limit before any other work.
func (s *Server) limit(next http.Handler) http.Handler {
	if s.limiter == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.limiter.allow(s.limiter.clientIP(r)); err != nil {
			s.writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// authenticate requires a credential of this surface's environment with
// perm (keygate.Permission, "" for none) and passes its principal in the
// request's context.
func (s *Server) authenticate(perm keygate.Permission, next http.Handler) http.Handler {
	return s.authenticateRule(auth.Rule{Permission: perm}, next)
}

// authenticateRule is authenticate for a rule: partner keys are refused
// unless the rule accepts them.
func (s *Server) authenticateRule(rule auth.Rule, next http.Handler) http.Handler {
	bit := keygate.PermissionBit(rule.Permission)
	if rule.Permission != "" && bit == 0 {
		panic("api: unknown permission " + string(rule.Permission))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.verifier.AuthenticateFrom(r.Context(), s.cfg.Environment, r.Header.Get("Authorization"), bit, wire.ClientIP(r, s.cfg.TrustedProxies))
		if err == nil && p.Kind == credential.KindPartnerKey && !rule.Partners {
			err = auth.ErrPartnerKey
		}
		if rec, ok := w.(*statusRecorder); ok {
			rec.credentialID = p.CredentialID
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(auth.NewContext(r.Context(), p)))
	})
}

// principal returns the authenticated principal of r; authenticate put it
// there.
func principal(r *http.Request) auth.Principal {
	p, _ := auth.FromContext(r.Context())
	return p
}
