package dashboard

import (
	"net/http"
	"net/url"
	"time"

	"github.com/keygate/keygate"
)

// auditPage is the audit log page's data.
type auditPage struct {
	Entries    []*keygate.AuditEntry
	Filter     keygate.AuditFilter
	Action     string
	From, To   string // the date inputs' values, YYYY-MM-DD
	Filtered   bool
	ActorTypes []keygate.ActorType
	Actions    []keygate.AuditAction
	Next       string
}

// dateInput is the format of an <input type="date">.
const dateInput = "2006-01-02"

// handleAuditLog lists the account's audit log, newest first, filtered by
// actor (type and ID), action, target and dates (UTC days, both included).
// A filter that can't be read is shown as the form's problem, with no list.
func (s *Server) handleAuditLog(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := auditPage{ActorTypes: keygate.ActorTypes, Actions: keygate.AuditActions, Action: q.Get("action"), From: q.Get("from"), To: q.Get("to")}
	p.Filter = keygate.AuditFilter{ActorType: keygate.ActorType(q.Get("actor_type")), ActorID: q.Get("actor_id"), TargetID: q.Get("target"),
		Page: keygate.Page{Limit: keygate.DefaultPageSize + 1, Desc: true, After: q.Get("after"), SkipCount: true}}
	problem := ""
	if p.Filter.ActorType != "" && !keygate.KnownActorType(p.Filter.ActorType) {
		problem = "Choose an actor from the list."
	}
	if p.Action != "" {
		if !keygate.KnownAuditAction(keygate.AuditAction(p.Action)) {
			problem = "Choose an action from the list."
		}
		p.Filter.Actions = []keygate.AuditAction{keygate.AuditAction(p.Action)}
	}
	for _, d := range []struct {
		v    string
		dst  **time.Time
		days int
	}{{p.From, &p.Filter.From, 0}, {p.To, &p.Filter.Till, 1}} {
		if d.v == "" {
			continue
		}
		t, err := time.Parse(dateInput, d.v)
		if err != nil {
			problem = "Dates must be days, such as 2026-12-01."
			continue
		}
		t = t.AddDate(0, 0, d.days)
		*d.dst = &t
	}
	p.Filtered = p.Filter.ActorType != "" || p.Filter.ActorID != "" || p.Action != "" || p.Filter.TargetID != "" || p.From != "" || p.To != ""
	if problem != "" {
		s.render(w, r, http.StatusBadRequest, "audit.html", page{Title: "Audit log", Error: problem, Fields: map[string]string{"filter": problem}, Data: p})
		return
	}
	list, _, err := s.svc.ListAuditLog(r.Context(), scope(r), p.Filter)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	if len(list) > keygate.DefaultPageSize {
		list = list[:keygate.DefaultPageSize]
		v := url.Values{}
		for k, vs := range q {
			if k != "after" && len(vs) > 0 && vs[0] != "" {
				v.Set(k, vs[0])
			}
		}
		v.Set("after", list[len(list)-1].ID)
		p.Next = "/audit-log?" + v.Encode()
	}
	p.Entries = list
	s.render(w, r, http.StatusOK, "audit.html", page{Title: "Audit log", Data: p})
}
