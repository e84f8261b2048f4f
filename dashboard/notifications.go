package dashboard

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/keygate/keygate"
)

// destinationForm is the create and edit form of a destination.
type destinationForm struct {
	Setting    *keygate.NotificationSetting
	Types      []keygate.EventTypeInfo
	Subscribed []keygate.EventType
	Deliveries []delivery
}

// formEvents reads the event types checked on a destination's form.
func formEvents(r *http.Request) []keygate.EventType {
	var out []keygate.EventType
	for _, e := range keygate.EventTypes {
		if slices.Contains(r.PostForm["events"], string(e.Name)) {
			out = append(out, e.Name)
		}
	}
	return out
}

// handleDestinations lists the account's notification destinations.
func (s *Server) handleDestinations(w http.ResponseWriter, r *http.Request) {
	list, _, err := s.svc.ListNotificationSettings(r.Context(), scope(r), keygate.NotificationSettingFilter{Page: keygate.Page{Limit: keygate.MaxPageSize, Desc: true, SkipCount: true}})
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	notice := ""
	if r.URL.Query().Get("done") == "deleted" {
		notice = "The destination was deleted; it receives nothing more."
	}
	s.render(w, r, http.StatusOK, "destinations.html", page{Title: "Notifications", Notice: notice, Data: list})
}

func (s *Server) handleDestinationNewForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "destination_new.html", page{Title: "New destination", Data: destinationForm{
		Setting: &keygate.NotificationSetting{Type: keygate.DestinationURL}, Types: keygate.EventTypes}})
}

// handleDestinationCreate creates a destination and shows it with its
// secret.
func (s *Server) handleDestinationCreate(w http.ResponseWriter, r *http.Request) {
	in := keygate.NotificationSettingCreate{
		Description: r.PostFormValue("description"), Type: keygate.NotificationSettingType(r.PostFormValue("type")),
		Destination: r.PostFormValue("destination"), SubscribedEvents: formEvents(r),
	}
	ns, err := s.svc.CreateNotificationSetting(r.Context(), scope(r), sessionOf(r).AccountID, in)
	if err != nil {
		form := destinationForm{Setting: &keygate.NotificationSetting{Description: in.Description, Type: in.Type, Destination: in.Destination},
			Types: keygate.EventTypes, Subscribed: in.SubscribedEvents}
		s.renderForm(w, r, "destination_new.html", page{Title: "New destination", Data: form}, err)
		return
	}
	http.Redirect(w, r, "/notifications/"+ns.ID+"?done=created", http.StatusSeeOther)
}

// handleDestination shows a destination's edit form, with its secret.
func (s *Server) handleDestination(w http.ResponseWriter, r *http.Request) {
	ns, err := s.svc.GetNotificationSetting(r.Context(), scope(r), r.PathValue("id"))
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	deliveries, err := s.deliveriesOf(r, ns.ID, s.cfg.Now())
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "destination.html", page{Title: ns.Description, Notice: destinationNotices[r.URL.Query().Get("done")],
		Data: destinationForm{Setting: ns, Types: keygate.EventTypes, Subscribed: ns.SubscribedEvents, Deliveries: deliveries}})
}

// handleDestinationEdit saves a destination.
func (s *Server) handleDestinationEdit(w http.ResponseWriter, r *http.Request) {
	desc, dest, active, events := r.PostFormValue("description"), r.PostFormValue("destination"), r.PostFormValue("active") == "on", formEvents(r)
	ns, err := s.svc.UpdateNotificationSetting(r.Context(), scope(r), r.PathValue("id"), keygate.NotificationSettingUpdate{
		Description: &desc, Destination: &dest, Active: &active, SubscribedEvents: &events})
	if err != nil {
		if keygate.ErrorCode(err) == keygate.CodeNotFound {
			s.serveError(w, r, err)
			return
		}
		cur, gerr := s.svc.GetNotificationSetting(r.Context(), scope(r), r.PathValue("id"))
		if gerr != nil {
			s.serveError(w, r, gerr)
			return
		}
		cur.Description, cur.Destination, cur.Active = desc, dest, active
		s.renderForm(w, r, "destination.html", page{Title: cur.Description,
			Data: destinationForm{Setting: cur, Types: keygate.EventTypes, Subscribed: events}}, err)
		return
	}
	http.Redirect(w, r, "/notifications/"+ns.ID+"?done=saved", http.StatusSeeOther)
}

// handleDestinationDelete deletes a destination.
func (s *Server) handleDestinationDelete(w http.ResponseWriter, r *http.Request) {
	if r.PostFormValue("confirm") != "on" {
		s.fail(w, r, keygate.CodeInvalidField, "Tick the box to confirm: deleting a destination can't be undone. Nothing was deleted.")
		return
	}
	if err := s.svc.DeleteNotificationSetting(r.Context(), scope(r), r.PathValue("id")); err != nil {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, "/notifications?done=deleted", http.StatusSeeOther)
}

// handleEvents lists the account's events, newest first, filtered by
// several types (?type=…&type=…), each linked to what it is about.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := keygate.EventFilter{Page: keygate.Page{Limit: keygate.DefaultPageSize + 1, Desc: true, After: q.Get("after"), SkipCount: true}}
	for _, t := range q["type"] {
		if keygate.KnownEventType(keygate.EventType(t)) && !slices.Contains(f.Types, keygate.EventType(t)) {
			f.Types = append(f.Types, keygate.EventType(t))
		}
	}
	events, _, err := s.svc.ListEvents(r.Context(), scope(r), f)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	next := ""
	if len(events) > keygate.DefaultPageSize {
		events = events[:keygate.DefaultPageSize]
		v := url.Values{"after": {events[len(events)-1].ID}}
		for _, t := range f.Types {
			v.Add("type", string(t))
		}
		next = "/events?" + v.Encode()
	}
	rows := make([]eventRow, len(events))
	for i, e := range events {
		rows[i] = eventRow{Event: e, About: aboutLink(e)}
	}
	s.render(w, r, http.StatusOK, "events.html", page{Title: "Events", Data: map[string]any{
		"Events": rows, "Types": keygate.EventTypes, "Chosen": f.Types, "Next": next}})
}

// eventRow is an event with the link to what it is about.
type eventRow struct {
	Event *keygate.Event
	About string // "" when keygate has no page for it
}

// aboutLink is the page of what an event is about: the key's page, the
// client-side token's row, or for an exposure the exposed key's page; ""
// when there is no such page, so no link is dead.
func aboutLink(e *keygate.Event) string {
	switch {
	case strings.HasPrefix(e.EntityID, "apikey_"):
		return "/authentication/api-keys/" + e.EntityID
	case strings.HasPrefix(e.EntityID, "ctkn_"):
		return "/authentication/client-tokens#" + e.EntityID
	}
	var data struct {
		APIKeyID string `json:"api_key_id"`
	}
	if json.Unmarshal(e.Data, &data) == nil && strings.HasPrefix(data.APIKeyID, "apikey_") {
		return "/authentication/api-keys/" + data.APIKeyID
	}
	return ""
}
