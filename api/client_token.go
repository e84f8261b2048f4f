package api

import (
	"net/http"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/api/request"
	"github.com/keygate/keygate/wire"
)

// handleClientTokensList lists the account's client-side tokens; filter
// status takes comma-separated values.
func (s *Server) handleClientTokensList(w http.ResponseWriter, r *http.Request) error {
	page, err := parsePage(r)
	if err != nil {
		return err
	}
	f := keygate.ClientTokenFilter{Page: page}
	for _, st := range commaList(r.URL.Query(), "status") {
		switch keygate.ClientTokenStatus(st) {
		case keygate.ClientTokenActive, keygate.ClientTokenRevoked:
			f.Statuses = append(f.Statuses, keygate.ClientTokenStatus(st))
		default:
			return fieldError("status", "must be active or revoked, comma-separated")
		}
	}
	list, total, err := s.svc.ListClientTokens(r.Context(), scope(r), f)
	if err != nil {
		return err
	}
	n, p := s.finishPage(r, page, len(list), func(i int) string { return list[i].ID }, total)
	out := make([]*wire.ClientToken, n)
	for i := range out {
		out[i] = wire.NewClientToken(list[i])
	}
	s.writeList(w, r, out, p)
	return nil
}

// handleClientTokenCreate creates a client-side token: 201.
func (s *Server) handleClientTokenCreate(w http.ResponseWriter, r *http.Request) error {
	var req request.ClientTokenCreate
	if err := decode(w, r, &req); err != nil {
		return err
	}
	t, err := s.svc.CreateClientToken(r.Context(), scope(r), principal(r).AccountID, keygate.ClientTokenCreate{Name: req.Name, Description: req.Description})
	if err != nil {
		return err
	}
	s.writeData(w, r, http.StatusCreated, wire.NewClientToken(t))
	return nil
}

// handleClientTokenGet returns one client-side token.
func (s *Server) handleClientTokenGet(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "client_token_id", "ctkn", "a client-side token")
	if err != nil {
		return err
	}
	t, err := s.svc.GetClientToken(r.Context(), scope(r), id)
	if err != nil {
		return err
	}
	s.writeData(w, r, http.StatusOK, wire.NewClientToken(t))
	return nil
}

// handleClientTokenPatch revokes a client-side token: {"status":"revoked"}.
func (s *Server) handleClientTokenPatch(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "client_token_id", "ctkn", "a client-side token")
	if err != nil {
		return err
	}
	var fields request.Patch
	if err := decode(w, r, &fields); err != nil {
		return err
	}
	var status *keygate.ClientTokenStatus
	var p patch
	field(&p, fields, "status", &status, "must be revoked")
	if err := p.finish(fields); err != nil {
		return err
	}
	if status == nil || *status != keygate.ClientTokenRevoked {
		return fieldError("status", "must be revoked: a client-side token can only be revoked")
	}
	t, err := s.svc.RevokeClientToken(r.Context(), scope(r), id)
	if err != nil {
		return err
	}
	s.writeData(w, r, http.StatusOK, wire.NewClientToken(t))
	return nil
}
