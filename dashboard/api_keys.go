package dashboard

import (
	"net/http"
	"slices"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/wire"
)

// scope is the account the session acts for.
func scope(r *http.Request) app.Scope { return app.AccountScope(sessionOf(r).AccountID) }

// keyRow is one key of the list.
type keyRow struct {
	Key           *keygate.APIKey
	Obfuscated    string
	Label         string
	CanRevoke     bool
	CanReactivate bool
	CanEdit       bool
}

// handleKeys is Developer tools > Authentication, the API keys tab: newest
// first, a page at a time (?after=).
func (s *Server) handleKeys(w http.ResponseWriter, r *http.Request) {
	f := keygate.APIKeyFilter{Page: keygate.Page{Limit: keygate.DefaultPageSize + 1, Desc: true, After: r.URL.Query().Get("after"), SkipCount: true}}
	keys, _, err := s.svc.ListAPIKeys(r.Context(), scope(r), f)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	var next string
	if len(keys) > keygate.DefaultPageSize {
		keys = keys[:keygate.DefaultPageSize]
		next = keys[len(keys)-1].ID
	}
	now := s.cfg.Now()
	rows := make([]keyRow, len(keys))
	for i, k := range keys {
		label := k.Label(now)
		rows[i] = keyRow{Key: k, Obfuscated: wire.NewAPIKey(k, now).Key, Label: label,
			CanRevoke: label == "Active" || label == "Expiring soon", CanReactivate: label == "Recently revoked", CanEdit: label != "Expired"}
	}
	s.render(w, r, http.StatusOK, "keys.html", page{Title: "Authentication", Data: map[string]any{"Rows": rows, "Next": next}})
}

// permissionGroup is a row of the permission checklist.
type permissionGroup struct {
	Entity        string
	Read, Write   keygate.Permission
	HasRead, HasW bool
}

// permissionGroups lays Permissions out by entity, marking those in have.
func permissionGroups(have []keygate.Permission) []permissionGroup {
	var groups []permissionGroup
	for _, p := range keygate.Permissions {
		e := p.Entity()
		if len(groups) == 0 || groups[len(groups)-1].Entity != e {
			groups = append(groups, permissionGroup{Entity: e})
		}
		g := &groups[len(groups)-1]
		if p == keygate.Permission(e+".read") {
			g.Read, g.HasRead = p, slices.Contains(have, p)
		} else {
			g.Write, g.HasW = p, slices.Contains(have, p)
		}
	}
	return groups
}

// formPermissions reads the checklist: the checked permissions, and the
// "All read" and "All write" shortcuts.
func formPermissions(r *http.Request) []keygate.Permission {
	var ps []keygate.Permission
	all := r.PostForm["all"]
	for _, p := range keygate.Permissions {
		kind := "read"
		if p != keygate.Permission(p.Entity()+".read") {
			kind = "write"
		}
		if slices.Contains(all, kind) || slices.Contains(r.PostForm["permissions"], string(p)) {
			ps = append(ps, p)
		}
	}
	return ps
}

type keyForm struct {
	Name, Description string
	ExpiresOn         string
	MinDate, MaxDate  string
	Groups            []permissionGroup
	Rotatable         bool
	Key               *keygate.APIKey
}

func (s *Server) newKeyForm(now time.Time) keyForm {
	return keyForm{
		ExpiresOn: now.Add(keygate.DefaultKeyLifetime).Format("2006-01-02"), MinDate: now.AddDate(0, 0, 1).Format("2006-01-02"),
		MaxDate: keygate.MaxKeyExpiry(now).Format("2006-01-02"), Groups: permissionGroups(nil),
	}
}

func (s *Server) handleKeyNewForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "key_new.html", page{Title: "New API key", Data: s.newKeyForm(s.cfg.Now())})
}

// handleKeyCreate creates a key and shows it, once, in a dialog.
func (s *Server) handleKeyCreate(w http.ResponseWriter, r *http.Request) {
	now := s.cfg.Now()
	in := keygate.APIKeyCreate{Name: r.PostFormValue("name"), Permissions: formPermissions(r), Rotatable: r.PostFormValue("rotatable") == "on"}
	if d := r.PostFormValue("description"); d != "" {
		in.Description = &d
	}
	form := s.newKeyForm(now)
	form.Name, form.Description, form.Rotatable, form.Groups = in.Name, r.PostFormValue("description"), in.Rotatable, permissionGroups(in.Permissions)
	if d := r.PostFormValue("expires_on"); d != "" {
		form.ExpiresOn = d
		day, err := time.Parse("2006-01-02", d)
		if err != nil {
			s.renderForm(w, r, "key_new.html", page{Title: "New API key", Data: form}, &keygate.Error{Code: keygate.CodeInvalidField,
				Message: "Check the expiry date.", Fields: []keygate.FieldError{{Field: "expires_at", Message: "must be a date"}}})
			return
		}
		// The end of the chosen day, capped at the latest expiry allowed.
		exp := day.Add(24*time.Hour - time.Microsecond)
		if max := keygate.MaxKeyExpiry(now); exp.After(max) {
			exp = max
		}
		in.ExpiresAt = &exp
	}
	k, token, err := s.svc.CreateAPIKey(r.Context(), scope(r), sessionOf(r).AccountID, in)
	if err != nil {
		s.renderForm(w, r, "key_new.html", page{Title: "New API key", Data: form}, err)
		return
	}
	s.render(w, r, http.StatusCreated, "key_created.html", page{Title: "API key created", Data: map[string]any{"Key": k, "Token": token}})
}

// keyOf returns the key of the path's {id}, in the session's account.
func (s *Server) keyOf(w http.ResponseWriter, r *http.Request) (*keygate.APIKey, bool) {
	k, err := s.svc.GetAPIKey(r.Context(), scope(r), r.PathValue("id"))
	if err != nil {
		s.serveError(w, r, err)
		return nil, false
	}
	return k, true
}

func (s *Server) handleKeyEditForm(w http.ResponseWriter, r *http.Request) {
	k, ok := s.keyOf(w, r)
	if !ok {
		return
	}
	desc := ""
	if k.Description != nil {
		desc = *k.Description
	}
	s.render(w, r, http.StatusOK, "key_edit.html", page{Title: "Edit " + k.Name, Data: keyForm{Name: k.Name, Description: desc, Groups: permissionGroups(k.Permissions), Key: k}})
}

// handleKeyEdit saves a key's name, description and permissions (never its
// expiry).
func (s *Server) handleKeyEdit(w http.ResponseWriter, r *http.Request) {
	k, ok := s.keyOf(w, r)
	if !ok {
		return
	}
	name, desc, perms := r.PostFormValue("name"), r.PostFormValue("description"), formPermissions(r)
	u := keygate.APIKeyUpdate{Name: &name, Description: &desc}
	if !k.Legacy {
		u.Permissions = &perms
	}
	if _, err := s.svc.UpdateAPIKey(r.Context(), scope(r), k.ID, u); err != nil {
		form := keyForm{Name: name, Description: desc, Groups: permissionGroups(perms), Key: k}
		s.renderForm(w, r, "key_edit.html", page{Title: "Edit " + k.Name, Data: form}, err)
		return
	}
	http.Redirect(w, r, "/authentication", http.StatusSeeOther)
}

func (s *Server) handleKeyRevokeForm(w http.ResponseWriter, r *http.Request) {
	k, ok := s.keyOf(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "key_revoke.html", page{Title: "Revoke " + k.Name, Data: k})
}

// handleKeyRevoke revokes a key once its name has been typed to confirm.
func (s *Server) handleKeyRevoke(w http.ResponseWriter, r *http.Request) {
	k, ok := s.keyOf(w, r)
	if !ok {
		return
	}
	if r.PostFormValue("confirm") != k.Name {
		s.render(w, r, http.StatusBadRequest, "key_revoke.html", page{Title: "Revoke " + k.Name, Data: k,
			Error: "The name you typed doesn't match the key's name. Nothing was revoked."})
		return
	}
	if _, err := s.svc.RevokeAPIKey(r.Context(), scope(r), k.ID); err != nil {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, "/authentication", http.StatusSeeOther)
}

func (s *Server) handleKeyReactivate(w http.ResponseWriter, r *http.Request) {
	if _, err := s.svc.ReactivateAPIKey(r.Context(), scope(r), r.PathValue("id")); err != nil {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, "/authentication", http.StatusSeeOther)
}
