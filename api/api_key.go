package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/api/request"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/wire"
)

// scope is the account the request's credential acts for, bounded by the
// credential's permissions and expiry: what it creates or edits never
// exceeds it.
func scope(r *http.Request) app.Scope {
	p := principal(r)
	return app.DelegatedScope(p.AccountID, p.CredentialID, p.Permissions, p.ExpiresAt)
}

// handleAPIKeysList lists the account's keys; filters id and status take
// comma-separated values.
func (s *Server) handleAPIKeysList(w http.ResponseWriter, r *http.Request) error {
	page, err := parsePage(r)
	if err != nil {
		return err
	}
	f := keygate.APIKeyFilter{Page: page}
	q := r.URL.Query()
	for _, id := range commaList(q, "id") {
		if !credential.ValidID("apikey", id) {
			return fieldError("id", "must be API key IDs (apikey_ and 26 characters), comma-separated")
		}
		f.IDs = append(f.IDs, id)
	}
	for _, st := range commaList(q, "status") {
		switch keygate.APIKeyStatus(st) {
		case keygate.APIKeyActive, keygate.APIKeyExpired, keygate.APIKeyRevoked:
			f.Statuses = append(f.Statuses, keygate.APIKeyStatus(st))
		default:
			return fieldError("status", "must be active, expired or revoked, comma-separated")
		}
	}
	keys, total, err := s.svc.ListAPIKeys(r.Context(), scope(r), f)
	if err != nil {
		return err
	}
	n, p := s.finishPage(r, page, len(keys), func(i int) string { return keys[i].ID }, total)
	now := s.svc.Now()
	out := make([]*wire.APIKey, n)
	for i := range out {
		out[i] = wire.NewAPIKey(keys[i], now)
	}
	s.writeList(w, r, out, p)
	return nil
}

// handleAPIKeyGet returns one key. It needs api_key.read, except that a key
// may always read itself.
func (s *Server) handleAPIKeyGet(w http.ResponseWriter, r *http.Request) error {
	id, err := apiKeyID(r)
	if err != nil {
		return err
	}
	p := principal(r)
	if p.CredentialID != id && !p.Permissions.Has("api_key.read") {
		return &keygate.Error{Code: keygate.CodeForbidden, Message: "You aren't permitted to perform this request."}
	}
	k, err := s.svc.GetAPIKey(r.Context(), scope(r), id)
	if err != nil {
		return err
	}
	s.writeData(w, r, http.StatusOK, wire.NewAPIKey(k, s.svc.Now()))
	return nil
}

// handleAPIKeyCreate creates a key (keygate's extension) and returns it with
// the full key in "key", this once.
func (s *Server) handleAPIKeyCreate(w http.ResponseWriter, r *http.Request) error {
	var req request.APIKeyCreate
	if err := decode(w, r, &req); err != nil {
		return err
	}
	in := keygate.APIKeyCreate{Name: req.Name, Description: req.Description, Permissions: req.Permissions, Rotatable: req.Rotatable,
		AllowedIPs: req.AllowedIPs, RateLimit: req.RateLimit, Credits: req.Credits}
	if req.ExpiresAt != nil {
		t := time.Time(*req.ExpiresAt)
		in.ExpiresAt = &t
	}
	p := principal(r)
	k, token, err := s.svc.CreateAPIKey(r.Context(), scope(r), p.AccountID, in)
	if err != nil {
		return err
	}
	out := wire.NewAPIKey(k, s.svc.Now())
	out.Key = token
	s.writeData(w, r, http.StatusCreated, out)
	return nil
}

// handleAPIKeyPatch changes a key's name, description or permissions, and
// revokes it (status "revoked") or reactivates it (status "active", within
// the reactivation window). Its expiry can't be changed.
func (s *Server) handleAPIKeyPatch(w http.ResponseWriter, r *http.Request) error {
	id, err := apiKeyID(r)
	if err != nil {
		return err
	}
	var fields request.Patch
	if err := decode(w, r, &fields); err != nil {
		return err
	}
	u, status, err := parsePatch(fields)
	if err != nil {
		return err
	}
	k, err := s.svc.PatchAPIKey(r.Context(), scope(r), id, u, status)
	if err != nil {
		return err
	}
	s.writeData(w, r, http.StatusOK, wire.NewAPIKey(k, s.svc.Now()))
	return nil
}

// parsePatch reads a PATCH body, reporting every bad field at once. A
// description of null or "" clears it.
func parsePatch(fields map[string]json.RawMessage) (keygate.APIKeyUpdate, *keygate.APIKeyStatus, error) {
	var u keygate.APIKeyUpdate
	var status *keygate.APIKeyStatus
	var problems []keygate.FieldError
	bad := func(field, msg string) { problems = append(problems, keygate.FieldError{Field: field, Message: msg}) }
	for name, raw := range fields {
		switch name {
		case "name":
			if json.Unmarshal(raw, &u.Name) != nil || u.Name == nil {
				bad(name, "must be a string")
			}
		case "description":
			var d *string
			if json.Unmarshal(raw, &d) != nil {
				bad(name, "must be a string or null")
			} else if d == nil {
				d = new(string)
			}
			u.Description = d
		case "permissions":
			var ps []keygate.Permission
			if json.Unmarshal(raw, &ps) != nil || ps == nil {
				bad(name, "must be an array of permissions")
			}
			u.Permissions = &ps
		case "status":
			var st keygate.APIKeyStatus
			if json.Unmarshal(raw, &st) != nil || (st != keygate.APIKeyActive && st != keygate.APIKeyRevoked) {
				bad(name, "must be one of active, revoked")
			}
			status = &st
		case "allowed_ips":
			var ips []string
			if json.Unmarshal(raw, &ips) != nil {
				bad(name, "must be an array of CIDRs, or null")
			}
			u.AllowedIPs = &ips
		case "rate_limit":
			var rl *keygate.RateLimit
			if json.Unmarshal(raw, &rl) != nil {
				bad(name, `must be {"requests": n, "per": "second"|"minute"|"hour"}, or null`)
			}
			u.RateLimit = &rl
		case "credits":
			var c *keygate.CreditsSet
			if json.Unmarshal(raw, &c) != nil {
				bad(name, `must be {"remaining": n, "refill": null|{"amount": n, "interval": "day"|"month"}}, or null`)
			}
			u.Credits = &c
		case "expires_at":
			bad(name, "can't be changed: a key's expiry is set when it is created")
		default:
			bad(name, "is not a field of this request")
		}
	}
	if len(problems) > 0 {
		slices.SortFunc(problems, func(a, b keygate.FieldError) int { return strings.Compare(a.Field, b.Field) })
		return u, nil, &keygate.Error{Code: keygate.CodeInvalidField, Message: "Request does not pass validation.", Fields: problems}
	}
	return u, status, nil
}

// apiKeyID returns the {api_key_id} of the path; a value that can't be an
// API key ID is Paddle's bad_request for an invalid path parameter.
func apiKeyID(r *http.Request) (string, error) {
	id := r.PathValue("api_key_id")
	if !credential.ValidID("apikey", id) {
		return "", keygate.Errorf(keygate.CodeBadRequest, "Invalid request: %q is not an API key ID (apikey_ and 26 characters).", strings.ToValidUTF8(id, ""))
	}
	return id, nil
}
