package app

import (
	"context"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/credential"
)

// GetNotification returns a notification the scope may see.
func (s *Service) GetNotification(ctx context.Context, sc Scope, id string) (*keygate.Notification, error) {
	var n *keygate.Notification
	err := s.Store.View(ctx, func(tx keygate.Tx) (err error) {
		n, err = findNotification(ctx, tx, sc, id)
		return err
	})
	return n, err
}

// ListNotifications lists the scope's notifications.
func (s *Service) ListNotifications(ctx context.Context, sc Scope, f keygate.NotificationFilter) ([]*keygate.Notification, int, error) {
	if !sc.operator {
		f.AccountID = sc.accountID
	}
	var list []*keygate.Notification
	var total int
	err := s.Store.View(ctx, func(tx keygate.Tx) error {
		if _, err := findAccount(ctx, tx, sc, f.AccountID); err != nil {
			return err
		}
		var err error
		list, total, err = tx.FindNotifications(ctx, f)
		return err
	})
	return list, total, err
}

// ListNotificationLogs lists the delivery attempts of a notification.
func (s *Service) ListNotificationLogs(ctx context.Context, sc Scope, id string, p keygate.Page) ([]*keygate.NotificationLog, int, error) {
	var list []*keygate.NotificationLog
	var total int
	err := s.Store.View(ctx, func(tx keygate.Tx) error {
		if _, err := findNotification(ctx, tx, sc, id); err != nil {
			return err
		}
		var err error
		list, total, err = tx.FindNotificationLogs(ctx, id, p)
		return err
	})
	return list, total, err
}

// ReplayNotification sends a delivered or failed notification of an event
// again, as a new notification (origin "replay"), and returns it.
func (s *Service) ReplayNotification(ctx context.Context, sc Scope, id string) (*keygate.Notification, error) {
	now := s.now()
	var replay *keygate.Notification
	err := s.Store.Update(ctx, func(tx keygate.Tx) error {
		n, err := findNotification(ctx, tx, sc, id)
		if err != nil {
			return err
		}
		if err := n.CanReplay(now); err != nil {
			return err
		}
		e, err := tx.FindEventByID(ctx, n.EventID)
		if err != nil {
			return err
		}
		replay = newNotification(e, n.SettingID, keygate.OriginReplay, now)
		if err := tx.CreateNotification(ctx, replay); err != nil {
			return err
		}
		n.ReplayedAt = &now
		return tx.UpdateNotification(ctx, n)
	})
	if err != nil {
		return nil, err
	}
	s.wake()
	return replay, nil
}

func findNotification(ctx context.Context, tx keygate.Tx, sc Scope, id string) (*keygate.Notification, error) {
	if !credential.ValidID("ntf", id) {
		return nil, keygate.NotFound(id)
	}
	n, err := tx.FindNotificationByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if !sc.allows(n.AccountID) {
		return nil, keygate.NotFound(id)
	}
	return n, nil
}
