package api

import (
	"net/http"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/wire"
)

// handleNotificationsList lists the account's notifications; filters
// notification_setting_id and status (comma-separated).
func (s *Server) handleNotificationsList(w http.ResponseWriter, r *http.Request) error {
	page, err := parsePage(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	for _, unsupported := range []string{"search", "filter", "from", "to"} {
		if q.Has(unsupported) {
			return fieldError(unsupported, "is not supported by keygate: filter by notification_setting_id or status")
		}
	}
	f := keygate.NotificationFilter{Page: page, SettingID: q.Get("notification_setting_id")}
	for _, st := range commaList(q, "status") {
		switch keygate.NotificationStatus(st) {
		case keygate.NotificationNotAttempted, keygate.NotificationNeedsRetry, keygate.NotificationDelivered, keygate.NotificationFailed:
			f.Statuses = append(f.Statuses, keygate.NotificationStatus(st))
		default:
			return fieldError("status", "must be not_attempted, needs_retry, delivered or failed, comma-separated")
		}
	}
	list, total, err := s.svc.ListNotifications(r.Context(), scope(r), f)
	if err != nil {
		return err
	}
	n, p := s.finishPage(r, page, len(list), func(i int) string { return list[i].ID }, total)
	out := make([]*wire.Notification, n)
	for i := range out {
		out[i] = wire.NewNotification(list[i])
	}
	s.writeList(w, r, out, p)
	return nil
}

// handleNotificationGet returns one notification.
func (s *Server) handleNotificationGet(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "notification_id", "ntf", "a notification")
	if err != nil {
		return err
	}
	n, err := s.svc.GetNotification(r.Context(), scope(r), id)
	if err != nil {
		return err
	}
	s.writeData(w, r, http.StatusOK, wire.NewNotification(n))
	return nil
}

// handleNotificationLogs lists a notification's delivery attempts.
func (s *Server) handleNotificationLogs(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "notification_id", "ntf", "a notification")
	if err != nil {
		return err
	}
	page, err := parsePage(r)
	if err != nil {
		return err
	}
	logs, total, err := s.svc.ListNotificationLogs(r.Context(), scope(r), id, page)
	if err != nil {
		return err
	}
	n, p := s.finishPage(r, page, len(logs), func(i int) string { return logs[i].ID }, total)
	out := make([]*wire.NotificationLog, n)
	for i := range out {
		out[i] = wire.NewNotificationLog(logs[i])
	}
	s.writeList(w, r, out, p)
	return nil
}

// handleNotificationReplay replays a delivered or failed notification: 202
// with the new notification's ID.
func (s *Server) handleNotificationReplay(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "notification_id", "ntf", "a notification")
	if err != nil {
		return err
	}
	n, err := s.svc.ReplayNotification(r.Context(), scope(r), id)
	if err != nil {
		return err
	}
	s.writeData(w, r, http.StatusAccepted, map[string]string{"notification_id": n.ID})
	return nil
}
