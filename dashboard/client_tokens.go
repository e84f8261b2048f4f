package dashboard

import (
	"net/http"

	"github.com/keygate/keygate"
)

// handleClientTokens is the Client-side tokens tab: every token, newest
// first, with its full value (it is publishable) and a Copy button.
func (s *Server) handleClientTokens(w http.ResponseWriter, r *http.Request) {
	list, _, err := s.svc.ListClientTokens(r.Context(), scope(r), keygate.ClientTokenFilter{Page: keygate.Page{Limit: keygate.MaxPageSize, Desc: true, SkipCount: true}})
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "client_tokens.html", page{Title: "Client-side tokens", Data: list})
}

// handleClientTokenCreate creates a client-side token.
func (s *Server) handleClientTokenCreate(w http.ResponseWriter, r *http.Request) {
	in := keygate.ClientTokenCreate{Name: r.PostFormValue("name")}
	if d := r.PostFormValue("description"); d != "" {
		in.Description = &d
	}
	if _, err := s.svc.CreateClientToken(r.Context(), scope(r), sessionOf(r).AccountID, in); err != nil {
		list, _, _ := s.svc.ListClientTokens(r.Context(), scope(r), keygate.ClientTokenFilter{Page: keygate.Page{Limit: keygate.MaxPageSize, Desc: true, SkipCount: true}})
		s.renderForm(w, r, "client_tokens.html", page{Title: "Client-side tokens", Data: list}, err)
		return
	}
	http.Redirect(w, r, "/authentication/client-tokens", http.StatusSeeOther)
}

// handleClientTokenRevoke revokes a client-side token, for good, once the
// confirmation box is ticked.
func (s *Server) handleClientTokenRevoke(w http.ResponseWriter, r *http.Request) {
	if r.PostFormValue("confirm") != "on" {
		s.fail(w, r, keygate.CodeInvalidField, "Tick the box to confirm: revoking a client-side token can't be undone. Nothing was revoked.")
		return
	}
	if _, err := s.svc.RevokeClientToken(r.Context(), scope(r), r.PathValue("id")); err != nil {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, "/authentication/client-tokens", http.StatusSeeOther)
}
