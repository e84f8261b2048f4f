package app

import (
	"context"
	"encoding/json"

	"github.com/keygate/keygate/credential"

	"github.com/keygate/keygate"
)

// emittedTypes are the names of keygate.EventTypes.
var emittedTypes = func() []keygate.EventType {
	out := make([]keygate.EventType, len(keygate.EventTypes))
	for i, t := range keygate.EventTypes {
		out[i] = t.Name
	}
	return out
}()

// ListEvents lists the events of the scope's account (or, for the
// operator, of f.AccountID).
func (s *Service) ListEvents(ctx context.Context, sc Scope, f keygate.EventFilter) ([]*keygate.Event, int, error) {
	if !sc.operator {
		f.AccountID = sc.accountID
	}
	if len(f.Types) == 0 { // every type keygate emits: not the test events sent to one destination
		f.Types = emittedTypes
	}
	var list []*keygate.Event
	var total int
	err := s.Store.View(ctx, func(tx keygate.Tx) error {
		if _, err := findAccount(ctx, tx, sc, f.AccountID); err != nil {
			return err
		}
		var err error
		list, total, err = tx.FindEvents(ctx, f)
		return err
	})
	return list, total, err
}

// SendTestNotification sends a test event (keygate.EventNotificationTest)
// to one destination now and returns its delivery: it shows in the
// destination's deliveries (failed at once if the destination is inactive),
// and not in the account's events.
func (s *Service) SendTestNotification(ctx context.Context, sc Scope, settingID string) (*keygate.Notification, error) {
	now := s.now()
	var n *keygate.Notification
	err := s.Store.Update(ctx, func(tx keygate.Tx) error {
		ns, err := s.findNotificationSetting(ctx, tx, sc, settingID)
		if err != nil {
			return err
		}
		data, _ := json.Marshal(map[string]string{ // strings always marshal
			"notification_setting_id": ns.ID,
			"message":                 "A test event sent from keygate's dashboard.",
		})
		e := &keygate.Event{ID: credential.NewID("evt", now), AccountID: ns.AccountID, Environment: ns.Environment,
			Type: keygate.EventNotificationTest, EntityID: ns.ID, OccurredAt: now, Data: data}
		if err := tx.CreateEvent(ctx, e); err != nil {
			return err
		}
		n = newNotification(e, ns.ID, keygate.OriginEvent, now)
		return tx.CreateNotification(ctx, n)
	})
	if err != nil {
		return nil, err
	}
	s.wake()
	return n, nil
}
