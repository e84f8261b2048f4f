package dashboard

import (
	"net/http"
	"slices"

	"github.com/keygate/keygate"
)

// destinationForm is the create and edit form of a destination.
type destinationForm struct {
	Setting    *keygate.NotificationSetting
	Types      []keygate.EventTypeInfo
	Subscribed []keygate.EventType
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
	s.render(w, r, http.StatusOK, "destinations.html", page{Title: "Notifications", Data: list})
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
	http.Redirect(w, r, "/notifications/"+ns.ID, http.StatusSeeOther)
}

// handleDestination shows a destination's edit form, with its secret.
func (s *Server) handleDestination(w http.ResponseWriter, r *http.Request) {
	ns, err := s.svc.GetNotificationSetting(r.Context(), scope(r), r.PathValue("id"))
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "destination.html", page{Title: ns.Description, Data: destinationForm{Setting: ns, Types: keygate.EventTypes, Subscribed: ns.SubscribedEvents}})
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
	http.Redirect(w, r, "/notifications/"+ns.ID, http.StatusSeeOther)
}

// handleDestinationDelete deletes a destination.
func (s *Server) handleDestinationDelete(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.DeleteNotificationSetting(r.Context(), scope(r), r.PathValue("id")); err != nil {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, "/notifications", http.StatusSeeOther)
}

// handleEvents lists the account's events, newest first, filtered by type.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := keygate.EventFilter{Page: keygate.Page{Limit: keygate.DefaultPageSize + 1, Desc: true, After: q.Get("after"), SkipCount: true}}
	if t := keygate.EventType(q.Get("type")); t != "" && keygate.KnownEventType(t) {
		f.Types = []keygate.EventType{t}
	}
	events, _, err := s.svc.ListEvents(r.Context(), scope(r), f)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	var next string
	if len(events) > keygate.DefaultPageSize {
		events = events[:keygate.DefaultPageSize]
		next = events[len(events)-1].ID
	}
	s.render(w, r, http.StatusOK, "events.html", page{Title: "Events", Data: map[string]any{
		"Events": events, "Types": keygate.EventTypes, "Type": q.Get("type"), "Next": next}})
}
