package api

import (
	"encoding/json"
	"net/http"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/wire"
)

// handleEvents lists the account's events; filter event_type takes
// comma-separated types.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) error {
	page, err := parsePage(r)
	if err != nil {
		return err
	}
	f := keygate.EventFilter{Page: page}
	for _, t := range commaList(r.URL.Query(), "event_type") {
		if !keygate.KnownEventType(keygate.EventType(t)) {
			return fieldError("event_type", "must be event types keygate emits, comma-separated (see GET /event-types)")
		}
		f.Types = append(f.Types, keygate.EventType(t))
	}
	events, total, err := s.svc.ListEvents(r.Context(), scope(r), f)
	if err != nil {
		return err
	}
	n, p := s.finishPage(r, page, len(events), func(i int) string { return events[i].ID }, total)
	out := make([]wire.Event, n)
	for i := range out {
		e := events[i]
		out[i] = wire.Event{EventID: e.ID, EventType: string(e.Type), OccurredAt: wire.Time(e.OccurredAt), Data: json.RawMessage(e.Data)}
	}
	s.writeList(w, r, out, p)
	return nil
}
