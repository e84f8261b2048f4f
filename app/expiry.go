package app

import (
	"context"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/wire"
)

// expiryBatch is how many keys one transaction of the expiry scan handles.
const expiryBatch = 100

// NotifyExpiries writes api_key.expiring for every active key within
// keygate.ExpiringNotice of its expiry, and marks expired (writing
// api_key.expired) every active key past it. Each event is written exactly
// once per key however many processes scan at once: each key is re-checked
// under the lock every writer of keys takes. Keys missed during downtime are
// handled late, in order (expiring, then expired). It returns how many
// events it wrote.
func (s *Service) NotifyExpiries(ctx context.Context) (int, error) {
	total := 0
	for {
		n, more, err := s.notifyExpiryBatch(ctx)
		total += n
		if err != nil || !more {
			return total, err
		}
	}
}

func (s *Service) notifyExpiryBatch(ctx context.Context) (written int, more bool, err error) {
	now := s.now()
	var changed []string
	err = s.Store.Update(ctx, func(tx keygate.Tx) error {
		written, changed = 0, nil
		keys, err := tx.FindAPIKeysExpiryDue(ctx, now, now.Add(keygate.ExpiringNotice), expiryBatch)
		if err != nil {
			return err
		}
		more = len(keys) == expiryBatch
		for _, k := range keys {
			var events []keygate.EventType
			if k.ExpiringNoticeDue(now) {
				k.ExpiringNoticeAt = &now
				events = append(events, keygate.EventAPIKeyExpiring)
			}
			if k.ExpiryDue(now) {
				k.Status, k.UpdatedAt = keygate.APIKeyExpired, now
				events = append(events, keygate.EventAPIKeyExpired)
				if err := record(ctx, tx, SystemActor("expiry"), k.AccountID, k.Environment, keygate.AuditKeyExpired, k.ID, "", now); err != nil {
					return err
				}
			}
			if len(events) == 0 {
				continue
			}
			if err := tx.UpdateAPIKey(ctx, k); err != nil {
				return err
			}
			for _, typ := range events {
				if err := emit(ctx, tx, k.AccountID, k.Environment, typ, k.ID, wire.NewAPIKey(k, now), now); err != nil {
					return err
				}
				written++
			}
			changed = append(changed, k.ID)
		}
		return nil
	})
	if err != nil {
		return 0, false, err
	}
	for _, id := range changed {
		s.changed(id)
	}
	return written, more, nil
}
