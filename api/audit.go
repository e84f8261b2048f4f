package api

import (
	"net/http"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/wire"
)

// handleAuditLog lists the account's audit log (keygate's extension), with
// Paddle's list conventions: after, per_page, order_by, and filters
// actor_type, actor_id, action (comma-separated), target_id,
// occurred_at[GTE] and occurred_at[LT] (RFC 3339).
func (s *Server) handleAuditLog(w http.ResponseWriter, r *http.Request) error {
	page, err := parsePage(r)
	if err != nil {
		return err
	}
	f, err := auditFilter(r)
	if err != nil {
		return err
	}
	if page.After != "" && !credential.ValidID("audit", page.After) {
		return fieldError("after", "must be an audit entry ID (audit_ and 26 characters)")
	}
	f.Page = page
	list, total, err := s.svc.ListAuditLog(r.Context(), scope(r), f)
	if err != nil {
		return err
	}
	n, p := s.finishPage(r, page, len(list), func(i int) string { return list[i].ID }, total)
	out := make([]*wire.AuditEntry, n)
	for i := range out {
		out[i] = wire.NewAuditEntry(list[i])
	}
	s.writeList(w, r, out, p)
	return nil
}

// auditFilter reads the audit log's filters; a bad one is invalid_field.
func auditFilter(r *http.Request) (keygate.AuditFilter, error) {
	q := r.URL.Query()
	f := keygate.AuditFilter{ActorType: keygate.ActorType(q.Get("actor_type")), ActorID: q.Get("actor_id"), TargetID: q.Get("target_id")}
	if f.ActorType != "" && !keygate.KnownActorType(f.ActorType) {
		return f, fieldError("actor_type", "must be one of user, api_key, partner, operator, system, anonymous")
	}
	for _, a := range commaList(q, "action") {
		if !keygate.KnownAuditAction(keygate.AuditAction(a)) {
			return f, fieldError("action", "must be audit actions, comma-separated (such as api_key.created,api_key.revoked)")
		}
		f.Actions = append(f.Actions, keygate.AuditAction(a))
	}
	for _, b := range []struct {
		name string
		dst  **time.Time
	}{{"occurred_at[GTE]", &f.From}, {"occurred_at[LT]", &f.Till}} {
		v := q.Get(b.name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return f, fieldError(b.name, "must be an RFC 3339 time, such as 2026-01-02T15:04:05Z")
		}
		t = t.UTC()
		*b.dst = &t
	}
	return f, nil
}
