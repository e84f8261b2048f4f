package api

import (
	"net/http"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/wire"
)

// handleMagicAuthorize makes a magic-session code for the user whose own
// key (user_api_key) authenticates the request: 201 {code, expires_at}.
// Any other credential is forbidden.
func (s *Server) handleMagicAuthorize(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if p.Kind != credential.KindAPIKey {
		return keygate.Errorf(keygate.CodeForbidden, "Only a user's API key (user_api_key) may open magic sessions.")
	}
	code, expires, err := s.svc.AuthorizeMagicSession(r.Context(), p.CredentialID)
	if err != nil {
		return err
	}
	s.writeData(w, r, http.StatusCreated, map[string]any{"code": code, "expires_at": wire.Time(expires)})
	return nil
}
