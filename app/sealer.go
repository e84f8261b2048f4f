package app

import (
	"context"

	"github.com/keygate/keygate"
)

// sealerCheckAccounts bounds how many accounts SealerOpensSecrets looks
// through for a webhook destination.
const sealerCheckAccounts = 200

// SealerOpensSecrets reports whether s.Sealer opens the webhook secrets
// already stored, by trying the first webhook destination it finds (among
// the first accounts); ok is true when there is none to try. A node started
// with another KEYGATE_ENCRYPTION_KEY than the one that sealed them gets
// false, and should say so.
func (s *Service) SealerOpensSecrets(ctx context.Context) (ok bool, err error) {
	var found *keygate.NotificationSetting
	err = s.Store.View(ctx, func(tx keygate.Tx) error {
		accounts, _, err := tx.FindAccounts(ctx, keygate.AccountFilter{Page: keygate.Page{Limit: sealerCheckAccounts, SkipCount: true}})
		if err != nil {
			return err
		}
		for _, a := range accounts {
			settings, _, err := tx.FindNotificationSettings(ctx, keygate.NotificationSettingFilter{AccountID: a.ID, Page: keygate.Page{Limit: keygate.MaxPageSize, SkipCount: true}})
			if err != nil {
				return err
			}
			for _, ns := range settings {
				if ns.Type == keygate.DestinationURL {
					found = ns
					return nil
				}
			}
		}
		return nil
	})
	if err != nil || found == nil {
		return err == nil, err
	}
	_, err = s.Sealer.Open(found.SealedSecret, found.ID)
	return err == nil, nil
}
