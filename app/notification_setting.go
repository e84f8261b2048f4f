package app

import (
	"context"
	"errors"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/credential"
)

// errNoSealer is a wiring mistake: destinations need a Sealer.
var errNoSealer = errors.New("app: no Sealer for notification destinations")

// CreateNotificationSetting creates a destination with a new endpoint
// secret, stored encrypted.
func (s *Service) CreateNotificationSetting(ctx context.Context, sc Scope, accountID string, in keygate.NotificationSettingCreate) (*keygate.NotificationSetting, error) {
	if s.Sealer == nil {
		return nil, errNoSealer
	}
	now := s.now()
	ns, err := keygate.NewNotificationSetting(in, now)
	if err != nil {
		return nil, err
	}
	if err := s.AddressPolicy.CheckDestination(ns); err != nil {
		return nil, err
	}
	err = s.Store.Update(ctx, func(tx keygate.Tx) error {
		a, err := findAccount(ctx, tx, sc, accountID)
		if err != nil {
			return err
		}
		ns.ID, ns.AccountID, ns.Environment = credential.NewID("ntfset", now), a.ID, a.Environment
		ns.Secret = credential.NewEndpointSecret(ns.ID)
		ns.SealedSecret = s.Sealer.Seal([]byte(ns.Secret), ns.ID)
		if err := tx.CreateNotificationSetting(ctx, ns); err != nil {
			return err
		}
		return record(ctx, tx, sc.Actor(), a.ID, a.Environment, keygate.AuditDestinationNew, ns.ID, ns.Destination, now)
	})
	if err != nil {
		return nil, err
	}
	return ns, nil
}

// GetNotificationSetting returns a destination, with its secret, and
// records in the audit log that the scope's actor viewed the secret.
func (s *Service) GetNotificationSetting(ctx context.Context, sc Scope, id string) (*keygate.NotificationSetting, error) {
	now := s.now()
	var ns *keygate.NotificationSetting
	err := s.Store.Update(ctx, func(tx keygate.Tx) (err error) {
		if ns, err = s.findNotificationSetting(ctx, tx, sc, id); err != nil {
			return err
		}
		return record(ctx, tx, sc.Actor(), ns.AccountID, ns.Environment, keygate.AuditSecretViewed, ns.ID, "", now)
	})
	return ns, err
}

// ListNotificationSettings lists the scope's destinations, with secrets;
// if f.ShowsSecrets, it records in the audit log that the scope's actor
// viewed each one's secret.
func (s *Service) ListNotificationSettings(ctx context.Context, sc Scope, f keygate.NotificationSettingFilter) ([]*keygate.NotificationSetting, int, error) {
	if !sc.operator {
		f.AccountID = sc.accountID
	}
	now := s.now()
	var list []*keygate.NotificationSetting
	var total int
	run := s.Store.View
	if f.ShowsSecrets {
		run = s.Store.Update
	}
	err := run(ctx, func(tx keygate.Tx) error {
		if _, err := findAccount(ctx, tx, sc, f.AccountID); err != nil {
			return err
		}
		var err error
		if list, total, err = tx.FindNotificationSettings(ctx, f); err != nil {
			return err
		}
		for _, ns := range list {
			if err := s.unseal(ns); err != nil {
				return err
			}
			if !f.ShowsSecrets {
				continue
			}
			if err := record(ctx, tx, sc.Actor(), ns.AccountID, ns.Environment, keygate.AuditSecretViewed, ns.ID, "listed", now); err != nil {
				return err
			}
		}
		return nil
	})
	return list, total, err
}

// UpdateNotificationSetting changes a destination.
func (s *Service) UpdateNotificationSetting(ctx context.Context, sc Scope, id string, u keygate.NotificationSettingUpdate) (*keygate.NotificationSetting, error) {
	now := s.now()
	var ns *keygate.NotificationSetting
	err := s.Store.Update(ctx, func(tx keygate.Tx) (err error) {
		if ns, err = s.findNotificationSetting(ctx, tx, sc, id); err != nil {
			return err
		}
		if err := ns.Apply(now, u); err != nil {
			return err
		}
		if u.Destination != nil { // a destination saved under an older policy may still be edited
			if err := s.AddressPolicy.CheckDestination(ns); err != nil {
				return err
			}
		}
		if err := tx.UpdateNotificationSetting(ctx, ns); err != nil {
			return err
		}
		return record(ctx, tx, sc.Actor(), ns.AccountID, ns.Environment, keygate.AuditDestinationEdit, ns.ID, "", now)
	})
	if err != nil {
		return nil, err
	}
	return ns, nil
}

// DeleteNotificationSetting deletes a destination and its notifications.
func (s *Service) DeleteNotificationSetting(ctx context.Context, sc Scope, id string) error {
	now := s.now()
	return s.Store.Update(ctx, func(tx keygate.Tx) error {
		ns, err := s.findNotificationSetting(ctx, tx, sc, id)
		if err != nil {
			return err
		}
		if err := tx.DeleteNotificationSetting(ctx, id); err != nil {
			return err
		}
		return record(ctx, tx, sc.Actor(), ns.AccountID, ns.Environment, keygate.AuditDestinationGone, ns.ID, ns.Destination, now)
	})
}

// findNotificationSetting returns a destination the scope may see, with
// its secret.
func (s *Service) findNotificationSetting(ctx context.Context, tx keygate.Tx, sc Scope, id string) (*keygate.NotificationSetting, error) {
	if !credential.ValidID("ntfset", id) {
		return nil, keygate.NotFound(id)
	}
	ns, err := tx.FindNotificationSettingByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if !sc.allows(ns.AccountID) {
		return nil, keygate.NotFound(id)
	}
	return ns, s.unseal(ns)
}

// unseal decrypts a destination's secret.
func (s *Service) unseal(ns *keygate.NotificationSetting) error {
	if s.Sealer == nil {
		return errNoSealer
	}
	secret, err := s.Sealer.Open(ns.SealedSecret, ns.ID)
	if err != nil {
		return err
	}
	ns.Secret = string(secret)
	return nil
}
