package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/api/request"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/wire"
)

// errForbidden is Paddle's answer to a credential that may not do this.
var errForbidden = &keygate.Error{Code: keygate.CodeForbidden, Message: "You aren't permitted to perform this request."}

// selfKeyID returns the {api_key_id} of a rotation route, which only the
// key itself may call: any other credential, whatever its permissions, is
// forbidden.
func selfKeyID(r *http.Request) (string, error) {
	id, err := apiKeyID(r)
	if err != nil {
		return "", err
	}
	if principal(r).CredentialID != id {
		return "", errForbidden
	}
	return id, nil
}

// handleRotationCreate is Paddle's POST /api-keys/{id}/rotations: the key
// rotates itself, and gets the full new key in new_key, this once.
func (s *Server) handleRotationCreate(w http.ResponseWriter, r *http.Request) error {
	id, err := selfKeyID(r)
	if err != nil {
		return err
	}
	return s.rotate(w, r, id)
}

// handleRotate is keygate's extension POST /api-keys/{id}/rotate: a key with
// api_key.write rotates any key of its account, as an operator's tool would
// for a customer. Same body, rules, events and answer as Paddle's route.
func (s *Server) handleRotate(w http.ResponseWriter, r *http.Request) error {
	id, err := apiKeyID(r)
	if err != nil {
		return err
	}
	return s.rotate(w, r, id)
}

// rotate reads a rotation request and rotates key id.
func (s *Server) rotate(w http.ResponseWriter, r *http.Request, id string) error {
	var req request.Rotation
	if err := decode(w, r, &req); err != nil {
		return err
	}
	in := keygate.APIKeyRotationCreate{GracePeriodSeconds: req.GracePeriodSeconds}
	if req.NewKeyExpiresAt != nil {
		t := time.Time(*req.NewKeyExpiresAt)
		in.NewKeyExpiresAt = &t
	}
	rot, token, err := s.svc.RotateAPIKey(r.Context(), scope(r), id, in)
	if err != nil {
		return err
	}
	s.writeData(w, r, http.StatusCreated, wire.NewAPIKeyRotation(rot, token))
	return nil
}

// handleRotationsList is Paddle's GET /api-keys/{id}/rotations, by the key
// itself: newest first, filter id (comma-separated), cursor pages.
func (s *Server) handleRotationsList(w http.ResponseWriter, r *http.Request) error {
	id, err := s.selfRotatable(r)
	if err != nil {
		return err
	}
	page, err := parsePage(r)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("order_by") == "" {
		page.Desc = true // newest first
	}
	f := keygate.APIKeyRotationFilter{APIKeyID: id, Page: page}
	for _, rid := range commaList(r.URL.Query(), "id") {
		if !credential.ValidID("apkrot", rid) {
			return fieldError("id", "must be API key rotation IDs (apkrot_ and 26 characters), comma-separated")
		}
		f.IDs = append(f.IDs, rid)
	}
	list, total, err := s.svc.ListAPIKeyRotations(r.Context(), scope(r), f)
	if err != nil {
		return err
	}
	n, p := s.finishPage(r, page, len(list), func(i int) string { return list[i].ID }, total)
	out := make([]*wire.APIKeyRotation, n)
	for i := range out {
		out[i] = wire.NewAPIKeyRotation(list[i], "")
	}
	s.writeList(w, r, out, p)
	return nil
}

// handleRotationGet is Paddle's GET /api-keys/{id}/rotations/{rotation_id},
// by the key itself.
func (s *Server) handleRotationGet(w http.ResponseWriter, r *http.Request) error {
	id, err := s.selfRotatable(r)
	if err != nil {
		return err
	}
	rid := r.PathValue("rotation_id")
	if !credential.ValidID("apkrot", rid) {
		return keygate.Errorf(keygate.CodeBadRequest, "Invalid request: %q is not an API key rotation ID (apkrot_ and 26 characters).", strings.ToValidUTF8(rid, ""))
	}
	rot, err := s.svc.GetAPIKeyRotation(r.Context(), scope(r), id, rid)
	if err != nil {
		return err
	}
	s.writeData(w, r, http.StatusOK, wire.NewAPIKeyRotation(rot, ""))
	return nil
}

// selfRotatable returns the {api_key_id} of a rotation read, which only the
// key itself may make, and only a rotatable key
// (api_key_cannot_be_rotated).
func (s *Server) selfRotatable(r *http.Request) (string, error) {
	id, err := selfKeyID(r)
	if err != nil {
		return "", err
	}
	k, err := s.svc.GetAPIKey(r.Context(), scope(r), id)
	if err != nil {
		return "", err
	}
	if err := k.CanRotate(time.Time{}); keygate.ErrorCode(err) == keygate.CodeCannotBeRotated {
		return "", err
	}
	return id, nil
}
