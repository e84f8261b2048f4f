package dashboard

import (
	"net/http"
	"net/url"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/wire"
)

// originHost is the host of the page a request came from: its Origin, or
// else its Referer; "" when the browser sent neither.
func originHost(r *http.Request) string {
	for _, h := range []string{r.Header.Get("Origin"), r.Header.Get("Referer")} {
		if u, err := url.Parse(h); err == nil && u.Hostname() != "" {
			return u.Hostname()
		}
	}
	return ""
}

// handleMagicLogin signs the user of a magic-session code in, once, and
// sends them where redirect says: overview (the default), onboarding,
// payout_settings or retain_settings. Any other redirect is refused before
// the code is touched, so the link can't send anyone elsewhere.
func (s *Server) handleMagicLogin(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	target, ok := "", false
	switch q.Get("redirect") {
	case "", "overview":
		target, ok = "/authentication", true
	case "onboarding":
		target, ok = "/onboarding", true
	case "payout_settings":
		target, ok = s.cfg.PayoutSettingsURL, true
	case "retain_settings":
		target, ok = s.cfg.RetainSettingsURL, true
	}
	if !ok {
		s.fail(w, r, keygate.CodeBadRequest, "This link asks for a page keygate does not know. Nobody was signed in.")
		return
	}
	host := originHost(r)
	if host == "" && !s.cfg.AllowMagicWithoutOrigin {
		s.fail(w, r, keygate.CodeForbidden, "This link must be opened from your platform's site: your browser did not say where it came from. Nobody was signed in.")
		return
	}
	sess, token, err := s.svc.RedeemMagicCode(r.Context(), s.cfg.Environment, q.Get("code"), host, !s.cfg.AllowMagicWithoutOrigin)
	log := s.cfg.Logger.With("environment", s.cfg.Environment, "origin_host", host, "client_ip", s.clientIP(r), "request_id", wire.RequestID(r))
	if err != nil {
		if keygate.ErrorCode(err) == keygate.CodeInternal {
			s.serveError(w, r, err)
			return
		}
		log.WarnContext(r.Context(), "dashboard: magic-session login refused", "reason", keygate.ErrorMessage(err))
		s.fail(w, r, keygate.CodeForbidden, keygate.ErrorMessage(err)+" Nobody was signed in.")
		return
	}
	log.InfoContext(r.Context(), "dashboard: magic-session login", "user_id", sess.UserID, "account_id", sess.AccountID)
	s.setCookie(w, r, sessionCookie, token, keygate.SessionLifetime)
	if target == "" {
		s.render(w, r, http.StatusOK, "error.html", page{Title: "Signed in", Error: "You are signed in, but this keygate has no page for that setting: its operator has not configured one. Use the menu above."})
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// handleOnboardingForm shows the business details of the account, to
// complete.
func (s *Server) handleOnboardingForm(w http.ResponseWriter, r *http.Request) {
	a, business, err := s.svc.AccountBusiness(r.Context(), scope(r), sessionOf(r).AccountID)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "onboarding.html", page{Title: "Your business", Data: map[string]any{"Account": a, "Business": business}})
}

// handleOnboarding saves the business details.
func (s *Server) handleOnboarding(w http.ResponseWriter, r *http.Request) {
	business := map[string]any{}
	for _, f := range []string{"registration_number", "type", "country_code", "postal_code", "city"} {
		if v := r.PostFormValue(f); v != "" {
			business[f] = v
		}
	}
	if err := s.svc.SaveAccountBusiness(r.Context(), scope(r), sessionOf(r).AccountID, r.PostFormValue("name"), business); err != nil {
		s.renderForm(w, r, "onboarding.html", page{Title: "Your business",
			Data: map[string]any{"Account": &keygate.Account{Name: r.PostFormValue("name")}, "Business": business}}, err)
		return
	}
	http.Redirect(w, r, "/onboarding?saved=1", http.StatusSeeOther)
}
