package dashboard

import (
	"context"
	"crypto/subtle"
	"net/http"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/wire"
)

// Cookie names.
const (
	sessionCookie = "keygate_session"
	preCSRFCookie = "keygate_csrf" // double-submit token of the forms shown before a session
)

// csp allows the page's own styles and script and nothing else: no inline
// script, no framing, forms only to this origin.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// secure sets the headers every answer carries.
func secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, wire.WithRequestID(w, r))
	})
}

type sessionKey struct{}

// sessionOf returns the request's session; requireSession put it there.
func sessionOf(r *http.Request) *keygate.Session {
	s, _ := r.Context().Value(sessionKey{}).(*keygate.Session)
	return s
}

// requireSession lets signed-in requests of this environment through, and
// checks the CSRF token of every request that is not GET or HEAD.
func (s *Server) requireSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		var sess *keygate.Session
		if err == nil {
			sess, err = s.svc.Session(r.Context(), c.Value)
			if err != nil && keygate.ErrorCode(err) == keygate.CodeInternal {
				s.serveError(w, r, err) // the store failed: not a reason to sign in again
				return
			}
		}
		if err != nil || sess.Environment != s.cfg.Environment {
			http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !sameToken(r.PostFormValue("csrf"), sess.CSRFToken) {
			s.fail(w, r, keygate.CodeForbidden, "This form has expired or did not come from keygate. Reload the page and try again.")
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sessionKey{}, sess)))
	})
}

// sameToken compares tokens in constant time; an empty one never matches.
func sameToken(got, want string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// preSessionCSRF returns the double-submit token of forms shown before a
// session exists, setting its cookie if the browser has none.
func (s *Server) preSessionCSRF(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(preCSRFCookie); err == nil && c.Value != "" {
		return c.Value
	}
	token := credential.NewSessionToken()
	s.setCookie(w, r, preCSRFCookie, token, time.Hour)
	return token
}

// checkPreSessionCSRF checks a form posted before a session exists.
func checkPreSessionCSRF(r *http.Request) bool {
	c, err := r.Cookie(preCSRFCookie)
	return err == nil && sameToken(r.PostFormValue("csrf"), c.Value)
}

// setCookie sets an HttpOnly, SameSite=Lax cookie, Secure when the
// dashboard is served over HTTPS; a negative maxAge deletes it.
func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: int(maxAge.Seconds()), HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.cfg.Secure || r.TLS != nil,
	})
}
