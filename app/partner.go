package app

import (
	"context"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/credential"
)

// CreatePartner creates a partner and returns it with its partner key, which
// exists nowhere else: show it once.
func (s *Service) CreatePartner(ctx context.Context, in keygate.PartnerCreate) (*keygate.Partner, string, error) {
	in, err := in.Validate()
	if err != nil {
		return nil, "", err
	}
	now := s.now()
	key := credential.NewPartnerKey(credential.EnvFromName(string(in.Environment)), now)
	p := &keygate.Partner{ID: credential.NewID("pid", now), Environment: in.Environment, Name: in.Name,
		AllowedDomains: in.AllowedDomains, KeyID: key.EntityID, KeyHash: key.Hash[:], CreatedAt: now}
	if err := s.Store.Update(ctx, func(tx keygate.Tx) error { return tx.CreatePartner(ctx, p) }); err != nil {
		return nil, "", err
	}
	return p, key.Token, nil
}

// Seller is a seller a partner created, with its two keys, shown once.
type Seller struct {
	Account *keygate.Account
	User    *keygate.User
	// APIKey acts for the account; UserAPIKey for its primary user, and is
	// the key that may open magic sessions.
	APIKey, UserAPIKey string
}

// CreateSeller creates, for partner p, a seller account in p's environment
// with its primary user, an account API key and the user's API key, all in
// one transaction. A user e-mail taken in the environment is CodeConflict.
func (s *Service) CreateSeller(ctx context.Context, p *keygate.Partner, in keygate.SellerCreate) (*Seller, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	hash := ""
	if in.Password != nil {
		if err := s.HashBudget.Do(ctx, func() { hash = credential.HashPassword(*in.Password) }); err != nil {
			return nil, hashBusy(err)
		}
	}
	now := s.now()
	out := &Seller{
		Account: &keygate.Account{ID: credential.NewID("acc", now), Environment: p.Environment, Name: in.BusinessName, PartnerID: p.ID, CreatedAt: now, UpdatedAt: now},
	}
	out.User = &keygate.User{ID: credential.NewID("usr", now), AccountID: out.Account.ID, Environment: p.Environment,
		Email: keygate.NormalizeEmail(in.Email), PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	var keys []*keygate.APIKey
	err := s.Store.Update(ctx, func(tx keygate.Tx) error {
		if err := tx.CreateAccount(ctx, out.Account); err != nil {
			return err
		}
		if len(in.Business) > 0 {
			if err := tx.UpdateAccountBusiness(ctx, out.Account.ID, out.Account.Name, in.Business, now); err != nil {
				return err
			}
		}
		if err := tx.CreateUser(ctx, out.User); err != nil {
			return err
		}
		partner := keygate.Actor{Type: keygate.ActorPartner, ID: p.ID}
		if err := record(ctx, tx, partner, out.Account.ID, p.Environment, keygate.AuditSellerCreated, out.Account.ID, "primary user "+out.User.ID, now); err != nil {
			return err
		}
		for i, name := range []string{"Account key (created by partner)", "Primary user key (created by partner)"} {
			k, token, err := s.createKeyTx(ctx, tx, out.Account, keygate.APIKeyCreate{Name: name, Permissions: keygate.Permissions}, now)
			if err != nil {
				return err
			}
			keys = append(keys, k)
			if err := record(ctx, tx, partner, out.Account.ID, p.Environment, keygate.AuditKeyCreated, k.ID, name, now); err != nil {
				return err
			}
			if i == 0 {
				out.APIKey = token
				continue
			}
			out.UserAPIKey = token
			if err := tx.LinkUserAPIKey(ctx, k.ID, out.User.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		s.changed(k.ID)
	}
	return out, nil
}

// PartnerOfKey returns the partner whose key has that entity ID.
func (s *Service) PartnerOfKey(ctx context.Context, keyID string) (*keygate.Partner, error) {
	var p *keygate.Partner
	err := s.Store.View(ctx, func(tx keygate.Tx) (err error) { p, err = tx.FindPartnerByKeyID(ctx, keyID); return err })
	return p, err
}

// EmailTaken reports whether a user of env has that e-mail address.
func (s *Service) EmailTaken(ctx context.Context, env keygate.Environment, email string) (bool, error) {
	err := s.Store.View(ctx, func(tx keygate.Tx) error {
		_, err := tx.FindUserByEmail(ctx, env, email)
		return err
	})
	switch keygate.ErrorCode(err) {
	case "":
		return true, nil
	case keygate.CodeNotFound:
		return false, nil
	}
	return false, err
}
