package dashboard

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/wire"
)

// scope is the account the session acts for, as its user.
func scope(r *http.Request) app.Scope {
	sess := sessionOf(r)
	return app.AccountScope(sess.AccountID).As(keygate.Actor{Type: keygate.ActorUser, ID: sess.UserID})
}

// keyRow is one key of the list.
type keyRow struct {
	Key         *keygate.APIKey
	Obfuscated  string
	Label       string
	Status      string // the label's CSS class
	TimeLeft    string // to reactivate a recently revoked key
	Permissions permissionSummary
	Menu        []menuItem
	CSRF        string // the session's, for the menu's forms
}

// keyStatuses are the list's status filter: the value in ?status= and the
// label it keeps.
var keyStatuses = []struct{ Value, Label string }{
	{"active", "Active"}, {"expiring", "Expiring soon"}, {"expired", "Expired"},
	{"recently_revoked", "Recently revoked"}, {"revoked", "Revoked"},
}

// keysPerPage is how many keys a page of the list shows.
const keysPerPage = keygate.DefaultPageSize

// handleKeys is Developer tools > Authentication, the API keys tab: newest
// first, filtered by status (?status=) and name (?q=), keysPerPage at a
// time (?page=).
func (s *Server) handleKeys(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	search, status := strings.TrimSpace(q.Get("q")), q.Get("status")
	label := ""
	for _, st := range keyStatuses {
		if st.Value == status {
			label = st.Label
		}
	}
	keys, err := s.allKeys(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	now := s.cfg.Now()
	var rows []keyRow
	for _, k := range keys {
		l := k.Label(now)
		if label != "" && l != label || search != "" && !strings.Contains(strings.ToLower(k.Name), strings.ToLower(search)) {
			continue
		}
		row := s.keyRow(k, now)
		row.CSRF = sessionOf(r).CSRFToken
		rows = append(rows, row)
	}
	pageNo, _ := strconv.Atoi(q.Get("page"))
	pages := max(1, (len(rows)+keysPerPage-1)/keysPerPage)
	pageNo = min(max(pageNo, 1), pages)
	shown := rows[min((pageNo-1)*keysPerPage, len(rows)):min(pageNo*keysPerPage, len(rows))]
	link := func(n int) string {
		v := url.Values{}
		if search != "" {
			v.Set("q", search)
		}
		if status != "" {
			v.Set("status", status)
		}
		v.Set("page", strconv.Itoa(n))
		return "/authentication?" + v.Encode()
	}
	data := map[string]any{"Rows": shown, "Total": len(rows), "All": len(keys), "Query": search, "Status": status, "Statuses": keyStatuses,
		"Page": pageNo, "Pages": pages, "From": (pageNo-1)*keysPerPage + 1, "To": (pageNo-1)*keysPerPage + len(shown)}
	exposed, err := s.exposedKeys(r, keys)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	data["Exposed"] = exposed
	if pageNo > 1 {
		data["Prev"] = link(pageNo - 1)
	}
	if pageNo < pages {
		data["Next"] = link(pageNo + 1)
	}
	s.render(w, r, http.StatusOK, "keys.html", page{Title: "Authentication", Notice: s.notice(r), Data: data})
}

// allKeys returns every key of the session's account, newest first. The
// list filters and searches them in memory: an account has hundreds of
// keys, not millions (docs/decisions.md).
func (s *Server) allKeys(r *http.Request) ([]*keygate.APIKey, error) {
	var all []*keygate.APIKey
	after := ""
	for {
		f := keygate.APIKeyFilter{Page: keygate.Page{Limit: keygate.MaxPageSize, Desc: true, After: after, SkipCount: true}}
		keys, _, err := s.svc.ListAPIKeys(r.Context(), scope(r), f)
		if err != nil {
			return nil, err
		}
		all = append(all, keys...)
		if len(keys) < keygate.MaxPageSize {
			return all, nil
		}
		after = keys[len(keys)-1].ID
	}
}

// keyRow lays a key out for the list.
func (s *Server) keyRow(k *keygate.APIKey, now time.Time) keyRow {
	l := k.Label(now)
	row := keyRow{Key: k, Obfuscated: wire.NewAPIKey(k, now).Key, Label: l, Status: strings.ReplaceAll(strings.ToLower(l), " ", "-"),
		Permissions: summarize(k), Menu: menuOf(k, now)}
	if l == "Recently revoked" && k.RevokedAt != nil {
		row.TimeLeft = duration(k.RevokedAt.Add(keygate.ReactivationWindow).Sub(now)) + " left to reactivate"
	}
	return row
}

// notice is the confirmation of the change a redirect reports
// (?done=…&key=…), or "".
func (s *Server) notice(r *http.Request) string {
	q := r.URL.Query()
	text, ok := notices[q.Get("done")]
	if !ok {
		return ""
	}
	k, err := s.svc.GetAPIKey(r.Context(), scope(r), q.Get("key"))
	if err != nil {
		return ""
	}
	return fmt.Sprintf(text, k.Name)
}

// done redirects to the list with the notice of a change to k.
func done(w http.ResponseWriter, r *http.Request, what string, k *keygate.APIKey) {
	http.Redirect(w, r, "/authentication?done="+what+"&key="+url.QueryEscape(k.ID), http.StatusSeeOther)
}

type keyForm struct {
	Name, Description string
	ExpiresOn         string
	MinDate, MaxDate  string
	Groups            []permissionGroup
	Rotatable         bool
	Key               *keygate.APIKey
	Controls          controlsForm
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
	form.Controls = formControls(r)
	if err := form.Controls.create(&in); err != nil {
		s.renderForm(w, r, "key_new.html", page{Title: "New API key", Data: form}, err)
		return
	}
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
	s.render(w, r, http.StatusCreated, "key_created.html", page{Title: "API key created", Notice: fmt.Sprintf(notices["created"], k.Name),
		Data: map[string]any{"Key": k, "Token": token}})
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
	s.render(w, r, http.StatusOK, "key_edit.html", page{Title: "Edit " + k.Name, Data: keyForm{Name: k.Name, Description: desc,
		Groups: permissionGroups(k.Permissions), Key: k, Controls: controlsFormOf(k)}})
}

// handleKeyEdit saves a key's name, description, permissions and limits
// (never its expiry).
func (s *Server) handleKeyEdit(w http.ResponseWriter, r *http.Request) {
	k, ok := s.keyOf(w, r)
	if !ok {
		return
	}
	name, desc, perms, controls := r.PostFormValue("name"), r.PostFormValue("description"), formPermissions(r), formControls(r)
	u, err := controls.update(k)
	u.Name, u.Description = &name, &desc
	if !k.Legacy {
		u.Permissions = &perms
	}
	if err == nil {
		_, err = s.svc.UpdateAPIKey(r.Context(), scope(r), k.ID, u)
	}
	if err != nil {
		form := keyForm{Name: name, Description: desc, Groups: permissionGroups(perms), Key: k, Controls: controls}
		s.renderForm(w, r, "key_edit.html", page{Title: "Edit " + k.Name, Data: form}, err)
		return
	}
	done(w, r, "saved", k)
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
	done(w, r, "revoked", k)
}

func (s *Server) handleKeyReactivate(w http.ResponseWriter, r *http.Request) {
	k, err := s.svc.ReactivateAPIKey(r.Context(), scope(r), r.PathValue("id"))
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	done(w, r, "reactivated", k)
}
