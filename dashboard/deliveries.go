package dashboard

import (
	"net/http"
	"time"

	"github.com/keygate/keygate"
)

// deliveriesShown is how many of a destination's latest deliveries its page
// lists.
const deliveriesShown = 25

// delivery is one notification of a destination as its page lists it.
type delivery struct {
	N            *keygate.Notification
	Status       string // as people read it
	StatusClass  string
	ResponseCode int // of the last attempt; 0 when nothing answered
	Detail       string
	CanReplay    bool
}

// deliveryStatuses are the statuses as people read them, with their class.
var deliveryStatuses = map[keygate.NotificationStatus][2]string{
	keygate.NotificationNotAttempted: {"Pending", "expiring-soon"},
	keygate.NotificationNeedsRetry:   {"Retrying", "expiring-soon"},
	keygate.NotificationDelivered:    {"Delivered", "active"},
	keygate.NotificationFailed:       {"Failed", "failed"},
}

// deliveriesOf returns the latest deliveries of a destination, each with
// its last attempt's answer.
func (s *Server) deliveriesOf(r *http.Request, settingID string, now time.Time) ([]delivery, error) {
	list, _, err := s.svc.ListNotifications(r.Context(), scope(r), keygate.NotificationFilter{SettingID: settingID,
		Page: keygate.Page{Limit: deliveriesShown, Desc: true, SkipCount: true}})
	if err != nil {
		return nil, err
	}
	out := make([]delivery, len(list))
	for i, n := range list {
		st := deliveryStatuses[n.Status]
		d := delivery{N: n, Status: st[0], StatusClass: st[1], CanReplay: n.CanReplay(now) == nil}
		logs, _, err := s.svc.ListNotificationLogs(r.Context(), scope(r), n.ID, keygate.Page{Limit: 1, Desc: true, SkipCount: true})
		if err != nil {
			return nil, err
		}
		if len(logs) > 0 {
			d.ResponseCode = logs[0].ResponseCode
			if d.ResponseCode == 0 || d.ResponseCode >= 300 {
				d.Detail = logs[0].ResponseBody
			}
		}
		out[i] = d
	}
	return out, nil
}

// handleDeliveryReplay sends one delivery of a destination again, as a new
// delivery, and goes back to the destination's page.
func (s *Server) handleDeliveryReplay(w http.ResponseWriter, r *http.Request) {
	n, err := s.svc.GetNotification(r.Context(), scope(r), r.PathValue("ntf"))
	if err == nil && n.SettingID != r.PathValue("id") {
		err = keygate.NotFound(r.PathValue("ntf")) // a delivery of another destination is not here
	}
	if err == nil {
		_, err = s.svc.ReplayNotification(r.Context(), scope(r), n.ID)
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, "/notifications/"+n.SettingID+"?done=replayed", http.StatusSeeOther)
}

// handleSendTest sends a test event to one destination now and goes back
// to its page, where the delivery is the newest.
func (s *Server) handleSendTest(w http.ResponseWriter, r *http.Request) {
	if _, err := s.svc.SendTestNotification(r.Context(), scope(r), r.PathValue("id")); err != nil {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, "/notifications/"+r.PathValue("id")+"?done=tested", http.StatusSeeOther)
}

// destinationNotices confirm a change to a destination after its redirect
// (?done=…): fixed texts.
var destinationNotices = map[string]string{
	"created":  "The destination was created. Copy its secret key to verify the signatures of its webhooks.",
	"saved":    "Your changes to the destination were saved.",
	"replayed": "The delivery was queued again: it is the newest delivery below.",
	"tested":   "A test event was sent: it is the newest delivery below, and is not listed among the account's events.",
}
