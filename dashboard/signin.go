package dashboard

import (
	"context"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
)

// SetupLifetime is how long a first-run link works.
const SetupLifetime = app.SetupLifetime

// NewSetupToken makes a one-time first-run link's token, valid for
// SetupLifetime on any node of the cluster (it is kept in the database).
// serve prints the link when the store has no user; no default password
// exists anywhere.
func (s *Server) NewSetupToken(ctx context.Context) (string, error) {
	return s.svc.NewSetupLink(ctx, s.cfg.Environment)
}

func (s *Server) handleSetupForm(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	if err := s.svc.ValidSetupLink(r.Context(), s.cfg.Environment, token); keygate.ErrorCode(err) == keygate.CodeNotFound {
		s.failSetup(w, r)
		return
	} else if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "setup.html", page{Title: "Set up keygate", CSRF: s.preSessionCSRF(w, r), Data: token})
}

func (s *Server) handleSetup(w http.ResponseWriter, r *http.Request) {
	token := r.PostFormValue("token")
	if !checkPreSessionCSRF(r) {
		s.fail(w, r, keygate.CodeForbidden, "This form has expired. Open the set-up link again.")
		return
	}
	_, sessionToken, err := s.svc.SetUp(r.Context(), token,
		keygate.AccountCreate{Environment: s.cfg.Environment, Name: r.PostFormValue("account")},
		keygate.UserCreate{Email: r.PostFormValue("email"), Password: r.PostFormValue("password")})
	if keygate.ErrorCode(err) == keygate.CodeNotFound { // the link is used or expired
		s.failSetup(w, r)
		return
	} else if err != nil {
		s.renderForm(w, r, "setup.html", page{Title: "Set up keygate", CSRF: s.preSessionCSRF(w, r), Data: token}, err)
		return
	}
	s.setCookie(w, r, sessionCookie, sessionToken, keygate.SessionLifetime)
	http.Redirect(w, r, "/authentication", http.StatusSeeOther)
}

// failSetup explains a set-up link that does not work, with the advice that
// is true of this environment: sign in if it has a user, else restart
// keygate serve, which prints a new link for each environment without one.
func (s *Server) failSetup(w http.ResponseWriter, r *http.Request) {
	has, err := s.svc.HasUsers(r.Context(), s.cfg.Environment)
	switch {
	case err != nil:
		s.serveError(w, r, err)
	case has:
		s.render(w, r, http.StatusForbidden, "error.html", page{Title: "Already set up", Data: errorLinks{SignIn: true},
			Error: "The " + string(s.cfg.Environment) + " environment is set up already, so its set-up link no longer works. Sign in instead."})
	default:
		s.render(w, r, http.StatusForbidden, "error.html", page{Title: "This set-up link has expired", Data: errorLinks{},
			Error: "This set-up link is not valid: it was used already, or it is more than " + SetupLifetime.String() +
				" old. Restart keygate serve: it prints a new link for each environment that has no user yet."})
	}
}

func (s *Server) handleSignInForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "signin.html", page{Title: "Sign in", CSRF: s.preSessionCSRF(w, r)})
}

func (s *Server) handleSignIn(w http.ResponseWriter, r *http.Request) {
	again := func(status int, msg string) {
		s.render(w, r, status, "signin.html", page{Title: "Sign in", CSRF: s.preSessionCSRF(w, r), Error: msg, Data: r.PostFormValue("email")})
	}
	if !checkPreSessionCSRF(r) {
		again(http.StatusForbidden, "This form has expired. Please sign in again.")
		return
	}
	email := keygate.NormalizeEmail(r.PostFormValue("email"))
	keys := []string{"email:" + email, "ip:" + clientIP(r)}
	delay, locked := s.throttle.check(keys...)
	if locked > 0 {
		again(http.StatusTooManyRequests, "Too many failed sign-ins. Try again in "+locked.Round(time.Minute).String()+".")
		return
	}
	time.Sleep(delay)
	_, token, err := s.svc.SignIn(r.Context(), s.cfg.Environment, email, r.PostFormValue("password"))
	if keygate.ErrorCode(err) == keygate.CodeTooManyRequests { // the hashing budget is full: no verdict on the password
		w.Header().Set("Retry-After", "5")
		again(http.StatusServiceUnavailable, keygate.ErrorMessage(err))
		return
	}
	if err != nil {
		s.throttle.fail(keys...)
		again(http.StatusUnauthorized, keygate.ErrorMessage(err))
		return
	}
	s.throttle.succeed(keys...)
	s.setCookie(w, r, sessionCookie, token, keygate.SessionLifetime)
	http.Redirect(w, r, "/authentication", http.StatusSeeOther)
}

func (s *Server) handleSignOut(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.svc.SignOut(r.Context(), c.Value)
	}
	s.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
}

// clientIP is the peer's address, for throttling sign-ins.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return strings.TrimSpace(r.RemoteAddr)
	}
	return host
}
