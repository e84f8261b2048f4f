package app

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"strings"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/credential"
)

// DefaultMagicLifetime is how long a magic-session code may be redeemed.
const DefaultMagicLifetime = 60 * time.Second

// AuthorizeMagicSession makes a single-use magic-session code for the user
// whose own API key (a user_api_key) is apiKeyID; any other key is
// CodeForbidden. Only the code's SHA-256 is stored.
func (s *Service) AuthorizeMagicSession(ctx context.Context, apiKeyID string) (string, time.Time, error) {
	now := s.now()
	lifetime := s.MagicLifetime
	if lifetime <= 0 {
		lifetime = DefaultMagicLifetime
	}
	code := credential.NewMagicCode()
	hash := sha256.Sum256([]byte(code))
	expires := now.Add(lifetime)
	err := s.Store.Update(ctx, func(tx keygate.Tx) error {
		u, err := tx.FindUserOfAPIKey(ctx, apiKeyID)
		if keygate.ErrorCode(err) == keygate.CodeNotFound {
			return keygate.Errorf(keygate.CodeForbidden, "Only a user's API key (user_api_key) may open magic sessions.")
		} else if err != nil {
			return err
		}
		return tx.CreateMagicCode(ctx, hash[:], u.ID, u.Environment, expires, now)
	})
	if err != nil {
		return "", time.Time{}, err
	}
	return code, expires, nil
}

// errOrigin refuses a magic link followed from a page of no allowed domain.
var errOrigin = keygate.Errorf(keygate.CodeForbidden, "This link must be opened from your platform's site. Go back to it and follow the link again.")

// RedeemMagicCode signs in the user of a magic-session code on env's
// dashboard, once: the code must be unused, unexpired and of env, and
// originHost (the host of the Referer or Origin the browser sent; "" when
// it sent none and requireOrigin is false) must be one of the account's
// partner's allowed domains, or a subdomain of one. A code that fails the
// origin check is used up all the same.
func (s *Service) RedeemMagicCode(ctx context.Context, env keygate.Environment, code, originHost string, requireOrigin bool) (*keygate.Session, string, error) {
	if !credential.ValidMagicCode(code) {
		return nil, "", keygate.Errorf(keygate.CodeNotFound, "This link is not valid: it was used already, it expired, or it never existed.")
	}
	hash := sha256.Sum256([]byte(code))
	var u *keygate.User
	err := s.Store.Update(ctx, func(tx keygate.Tx) error {
		userID, err := tx.RedeemMagicCode(ctx, hash[:], env, s.now())
		if err != nil {
			return err
		}
		if u, err = tx.FindUserByID(ctx, userID); err != nil {
			return err
		}
		a, err := tx.FindAccountByID(ctx, u.AccountID)
		if err != nil {
			return err
		}
		if originHost == "" && !requireOrigin {
			return nil
		}
		p, err := tx.FindPartnerByID(ctx, a.PartnerID)
		if err != nil || !hostAllowed(originHost, p.AllowedDomains) {
			return errOrigin
		}
		return nil
	})
	if err != nil {
		if err == errOrigin {
			s.Store.Update(ctx, func(tx keygate.Tx) error { // the code stays used: commit its redemption
				_, err := tx.RedeemMagicCode(ctx, hash[:], env, s.now())
				return err
			})
		}
		return nil, "", err
	}
	return s.openSession(ctx, u, keygate.AuditMagicLogin, "")
}

// hostAllowed reports whether host is one of domains or a subdomain of one.
func hostAllowed(host string, domains []string) bool {
	host = strings.ToLower(host)
	for _, d := range domains {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

// AccountBusiness returns the business details of the scope's account.
func (s *Service) AccountBusiness(ctx context.Context, sc Scope, accountID string) (*keygate.Account, map[string]any, error) {
	var a *keygate.Account
	business := map[string]any{}
	err := s.Store.View(ctx, func(tx keygate.Tx) error {
		var err error
		if a, err = findAccount(ctx, tx, sc, accountID); err != nil {
			return err
		}
		b, err := tx.FindAccountBusiness(ctx, accountID)
		if err != nil {
			return err
		}
		return json.Unmarshal(b, &business)
	})
	return a, business, err
}

// SaveAccountBusiness completes an account's business details: its name
// (1 to 300 characters) and the rest as given.
func (s *Service) SaveAccountBusiness(ctx context.Context, sc Scope, accountID, name string, business map[string]any) error {
	if err := (keygate.AccountCreate{Environment: keygate.Live, Name: name}).Validate(); err != nil {
		return err
	}
	business["name"] = name
	b, err := json.Marshal(business)
	if err != nil {
		return err
	}
	return s.Store.Update(ctx, func(tx keygate.Tx) error {
		if _, err := findAccount(ctx, tx, sc, accountID); err != nil {
			return err
		}
		return tx.UpdateAccountBusiness(ctx, accountID, name, b, s.now())
	})
}
