package app

import (
	"context"
	"crypto/sha256"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/credential"
)

// SetupLifetime is how long a first-run set-up link works.
const SetupLifetime = time.Hour

// NewSetupLink makes a one-time first-run set-up link's token for env's
// dashboard, valid for SetupLifetime on any node. Only its SHA-256 is
// stored; the token is shown once, by the node that made it.
func (s *Service) NewSetupLink(ctx context.Context, env keygate.Environment) (string, error) {
	token := credential.NewSessionToken()
	hash := sha256.Sum256([]byte(token))
	now := s.now()
	err := s.Store.Update(ctx, func(tx keygate.Tx) error {
		return tx.CreateSetupLink(ctx, hash[:], env, now.Add(SetupLifetime), now)
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// ValidSetupLink reports whether token is an unused, unexpired set-up link
// of env (a form may be shown for it); CodeNotFound if not.
func (s *Service) ValidSetupLink(ctx context.Context, env keygate.Environment, token string) error {
	hash := sha256.Sum256([]byte(token))
	return s.Store.View(ctx, func(tx keygate.Tx) error { return tx.FindSetupLink(ctx, hash[:], env, s.now()) })
}
