package dashboard

import (
	"net/http"
	"strconv"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/wire"
)

// graceChoice is one grace period the Rotate dialog offers.
type graceChoice struct {
	Seconds int
	Label   string
}

// graceChoices are the grace periods offered, 0 to Paddle's maximum of 24
// hours; defaultGrace (5 minutes, AWS Secrets Manager's default) is
// preselected.
var graceChoices = []graceChoice{
	{0, "None: the old key stops when the new one is first used"},
	{60, "1 minute"}, {300, "5 minutes"}, {900, "15 minutes"}, {3600, "1 hour"}, {21600, "6 hours"}, {86400, "24 hours"},
}

const defaultGrace = 300

// canRotate tells whether a key's menu offers Rotate.
func canRotate(k *keygate.APIKey, now time.Time) bool { return k.CanRotate(now) == nil }

// handleKeyRotateForm is the Rotate dialog: choose the grace period.
func (s *Server) handleKeyRotateForm(w http.ResponseWriter, r *http.Request) {
	k, ok := s.keyOf(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "key_rotate.html", page{Title: "Rotate " + k.Name, Data: rotateForm(k, defaultGrace)})
}

// rotateForm is what the Rotate dialog shows.
func rotateForm(k *keygate.APIKey, grace int) map[string]any {
	return map[string]any{"Key": k, "Choices": graceChoices, "Grace": grace}
}

// handleKeyRotate rotates the key and shows the new key, this once.
func (s *Server) handleKeyRotate(w http.ResponseWriter, r *http.Request) {
	k, ok := s.keyOf(w, r)
	if !ok {
		return
	}
	grace, err := strconv.Atoi(r.PostFormValue("grace_period_seconds"))
	in := keygate.APIKeyRotationCreate{}
	if err == nil {
		in.GracePeriodSeconds = &grace
	}
	rot, token, err := s.svc.RotateAPIKey(r.Context(), scope(r), k.ID, in)
	if err != nil {
		s.renderForm(w, r, "key_rotate.html", page{Title: "Rotate " + k.Name, Data: rotateForm(k, grace)}, err)
		return
	}
	s.render(w, r, http.StatusCreated, "key_rotated.html", page{Title: "API key rotated", Data: map[string]any{
		"Key": k, "Token": token, "Rotation": rot, "Grace": graceLabel(rot.GracePeriodSeconds),
	}})
}

// graceLabel says a grace period in words.
func graceLabel(seconds int) string {
	if seconds == 0 {
		return "no time at all"
	}
	return duration(time.Duration(seconds) * time.Second)
}

// rotationSection is what the key page's rotation section shows.
type rotationSection struct {
	Key        *keygate.APIKey
	Obfuscated string
	Now        time.Time
	// Current is the rotation whose secret is the key's, if any, in use
	// since CurrentSince; Pending the one waiting for its first use;
	// OldUntil when the replaced secret stops (OldWorks) or stopped working.
	Current, Pending *keygate.APIKeyRotation
	CurrentSince     time.Time
	OldUntil         time.Time
	OldWorks         bool
	Recent           []*keygate.APIKeyRotation
}

// loadKeyRotation is the key page's rotation section: which secret is
// current, whether a rotation is pending, when the old secret stops. Keys
// that can't rotate have none.
func loadKeyRotation(s *Server, r *http.Request, k *keygate.APIKey) (any, error) {
	if !k.Rotatable {
		return nil, nil
	}
	list, _, err := s.svc.ListAPIKeyRotations(r.Context(), scope(r), keygate.APIKeyRotationFilter{APIKeyID: k.ID,
		Page: keygate.Page{Limit: 5, Desc: true, SkipCount: true}})
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	sec := &rotationSection{Key: k, Obfuscated: wire.NewAPIKey(k, now).Key, Now: now, Recent: list}
	for _, rot := range list {
		switch {
		case rot.Status == keygate.RotationPending && sec.Pending == nil:
			sec.Pending = rot
		case rot.Status == keygate.RotationCompleted && sec.Current == nil:
			sec.Current, sec.OldUntil, sec.OldWorks = rot, *rot.ExpiresAt, now.Before(*rot.ExpiresAt)
			sec.CurrentSince = rot.ExpiresAt.Add(-time.Duration(rot.GracePeriodSeconds) * time.Second)
		}
	}
	return sec, nil
}
