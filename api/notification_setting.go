package api

import (
	"net/http"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/api/request"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/wire"
)

// handleNotificationSettingsList lists the account's destinations; filters
// active (true, false) and traffic_source.
func (s *Server) handleNotificationSettingsList(w http.ResponseWriter, r *http.Request) error {
	page, err := parsePage(r)
	if err != nil {
		return err
	}
	f := keygate.NotificationSettingFilter{Page: page}
	q := r.URL.Query()
	switch q.Get("active") {
	case "":
	case "true", "false":
		active := q.Get("active") == "true"
		f.Active = &active
	default:
		return fieldError("active", "must be true or false")
	}
	if ts := keygate.TrafficSource(q.Get("traffic_source")); ts != "" {
		if ts != keygate.TrafficPlatform && ts != keygate.TrafficSimulation && ts != keygate.TrafficAll {
			return fieldError("traffic_source", "must be one of platform, simulation, all")
		}
		f.TrafficSource = ts
	}
	f.ShowsSecrets = true
	list, total, err := s.svc.ListNotificationSettings(r.Context(), scope(r), f)
	if err != nil {
		return err
	}
	n, p := s.finishPage(r, page, len(list), func(i int) string { return list[i].ID }, total)
	out := make([]*wire.NotificationSetting, n)
	for i := range out {
		out[i] = wire.NewNotificationSetting(list[i])
	}
	s.writeList(w, r, out, p)
	return nil
}

// handleNotificationSettingCreate creates a destination; 201 with its
// endpoint secret key.
func (s *Server) handleNotificationSettingCreate(w http.ResponseWriter, r *http.Request) error {
	var req request.NotificationSettingCreate
	if err := decode(w, r, &req); err != nil {
		return err
	}
	ns, err := s.svc.CreateNotificationSetting(r.Context(), scope(r), principal(r).AccountID, keygate.NotificationSettingCreate{
		Description: req.Description, Destination: req.Destination, SubscribedEvents: req.SubscribedEvents, Type: req.Type,
		APIVersion: req.APIVersion, IncludeSensitiveFields: req.IncludeSensitiveFields, TrafficSource: req.TrafficSource,
	})
	if err != nil {
		return err
	}
	s.writeData(w, r, http.StatusCreated, wire.NewNotificationSetting(ns))
	return nil
}

// handleNotificationSettingGet returns one destination.
func (s *Server) handleNotificationSettingGet(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "notification_setting_id", "ntfset", "a notification setting")
	if err != nil {
		return err
	}
	ns, err := s.svc.GetNotificationSetting(r.Context(), scope(r), id)
	if err != nil {
		return err
	}
	s.writeData(w, r, http.StatusOK, wire.NewNotificationSetting(ns))
	return nil
}

// handleNotificationSettingPatch changes a destination.
func (s *Server) handleNotificationSettingPatch(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "notification_setting_id", "ntfset", "a notification setting")
	if err != nil {
		return err
	}
	var fields request.Patch
	if err := decode(w, r, &fields); err != nil {
		return err
	}
	var u keygate.NotificationSettingUpdate
	var p patch
	field(&p, fields, "description", &u.Description, "must be a string")
	field(&p, fields, "destination", &u.Destination, "must be a string")
	field(&p, fields, "active", &u.Active, "must be a boolean")
	field(&p, fields, "api_version", &u.APIVersion, "must be a number")
	field(&p, fields, "include_sensitive_fields", &u.IncludeSensitiveFields, "must be a boolean")
	field(&p, fields, "subscribed_events", &u.SubscribedEvents, "must be an array of event type names")
	field(&p, fields, "traffic_source", &u.TrafficSource, "must be a string")
	if err := p.finish(fields); err != nil {
		return err
	}
	ns, err := s.svc.UpdateNotificationSetting(r.Context(), scope(r), id, u)
	if err != nil {
		return err
	}
	s.writeData(w, r, http.StatusOK, wire.NewNotificationSetting(ns))
	return nil
}

// handleNotificationSettingDelete deletes a destination: 204.
func (s *Server) handleNotificationSettingDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "notification_setting_id", "ntfset", "a notification setting")
	if err != nil {
		return err
	}
	if err := s.svc.DeleteNotificationSetting(r.Context(), scope(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// pathID returns the path parameter name if it is an ID with prefix; a value
// that can't be one is Paddle's bad_request for an invalid path parameter.
func pathID(r *http.Request, name, prefix, what string) (string, error) {
	id := r.PathValue(name)
	if !credential.ValidID(prefix, id) {
		return "", keygate.Errorf(keygate.CodeBadRequest, "Invalid request: %q is not the ID of %s (%s_ and 26 characters).", id, what, prefix)
	}
	return id, nil
}
