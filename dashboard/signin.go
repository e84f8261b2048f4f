package dashboard

import (
	"context"
	"errors"
	"net/http"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/wire"
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
	sess, sessionToken, err := s.svc.SetUp(r.Context(), token,
		keygate.AccountCreate{Environment: s.cfg.Environment, Name: r.PostFormValue("account")},
		keygate.UserCreate{Email: r.PostFormValue("email"), Password: r.PostFormValue("password")})
	if keygate.ErrorCode(err) == keygate.CodeNotFound { // the link is used or expired
		s.failSetup(w, r)
		return
	} else if err != nil {
		s.renderForm(w, r, "setup.html", page{Title: "Set up keygate", CSRF: s.preSessionCSRF(w, r), Data: token}, err)
		return
	}
	s.cfg.Logger.InfoContext(r.Context(), "dashboard: set up", "environment", s.cfg.Environment, "user_id", sess.UserID,
		"account_id", sess.AccountID, "client_ip", s.clientIP(r), "request_id", wire.RequestID(r))
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
	email, ip := keygate.NormalizeEmail(r.PostFormValue("email")), s.clientIP(r)
	sess, token, err := s.svc.SignIn(r.Context(), s.cfg.Environment, email, r.PostFormValue("password"), ip)
	log := s.cfg.Logger.With("environment", s.cfg.Environment, "email", email, "client_ip", ip, "request_id", wire.RequestID(r))
	switch {
	case errors.Is(err, app.ErrHashBusy): // no verdict on the password
		log.WarnContext(r.Context(), "dashboard: sign-in turned away: password-hashing budget full")
		w.Header().Set("Retry-After", "5")
		again(http.StatusServiceUnavailable, keygate.ErrorMessage(err))
	case errors.Is(err, app.ErrSignInLocked):
		log.WarnContext(r.Context(), "dashboard: sign-in refused: address locked out")
		again(http.StatusTooManyRequests, keygate.ErrorMessage(err))
	case keygate.ErrorCode(err) == keygate.CodeForbidden:
		log.InfoContext(r.Context(), "dashboard: sign-in failed")
		again(http.StatusUnauthorized, keygate.ErrorMessage(err))
	case err != nil:
		s.serveError(w, r, err)
	default:
		log.InfoContext(r.Context(), "dashboard: signed in", "user_id", sess.UserID, "account_id", sess.AccountID)
		s.setCookie(w, r, sessionCookie, token, keygate.SessionLifetime)
		http.Redirect(w, r, "/authentication", http.StatusSeeOther)
	}
}

func (s *Server) handleSignOut(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.svc.SignOut(r.Context(), c.Value)
	}
	s.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
}

// clientIP is the client's address by the API's rule (wire.ClientIP, with
// the same trusted proxies), for the sign-in counts and the logs.
func (s *Server) clientIP(r *http.Request) string {
	if ip := wire.ClientIP(r, s.cfg.TrustedProxies); ip.IsValid() {
		return ip.String()
	}
	return ""
}
