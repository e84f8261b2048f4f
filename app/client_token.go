package app

import (
	"context"
	"strings"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/wire"
)

// CreateClientToken creates a client-side token and writes
// client_token.created.
func (s *Service) CreateClientToken(ctx context.Context, sc Scope, accountID string, in keygate.ClientTokenCreate) (*keygate.ClientToken, error) {
	in, err := in.Validate()
	if err != nil {
		return nil, err
	}
	if err := sc.checkGrant(keygate.ClientTokenPermissions); err != nil {
		return nil, keygate.Errorf(keygate.CodeForbidden, "A key can only create client-side tokens if it holds what they grant (%s).", permList(keygate.ClientTokenPermissions))
	}
	now := s.now()
	var t *keygate.ClientToken
	err = s.Store.Update(ctx, func(tx keygate.Tx) error {
		a, err := findAccount(ctx, tx, sc, accountID)
		if err != nil {
			return err
		}
		t = &keygate.ClientToken{
			ID: credential.NewID("ctkn", now), AccountID: a.ID, Environment: a.Environment,
			Token: credential.NewClientToken(credential.EnvFromName(string(a.Environment))), Name: in.Name,
			Description: in.Description, Status: keygate.ClientTokenActive, CreatedAt: now, UpdatedAt: now,
		}
		if err := tx.CreateClientToken(ctx, t); err != nil {
			return err
		}
		return emit(ctx, tx, a.ID, a.Environment, keygate.EventClientCreated, t.ID, wire.NewClientToken(t), now)
	})
	if err != nil {
		return nil, err
	}
	s.changed(t.ID)
	return t, nil
}

// GetClientToken returns a client-side token the scope may see.
func (s *Service) GetClientToken(ctx context.Context, sc Scope, id string) (*keygate.ClientToken, error) {
	var t *keygate.ClientToken
	err := s.Store.View(ctx, func(tx keygate.Tx) (err error) {
		t, err = findClientToken(ctx, tx, sc, id)
		return err
	})
	return t, err
}

// ListClientTokens lists the scope's client-side tokens.
func (s *Service) ListClientTokens(ctx context.Context, sc Scope, f keygate.ClientTokenFilter) ([]*keygate.ClientToken, int, error) {
	if !sc.operator {
		f.AccountID = sc.accountID
	}
	var list []*keygate.ClientToken
	var total int
	err := s.Store.View(ctx, func(tx keygate.Tx) error {
		if _, err := findAccount(ctx, tx, sc, f.AccountID); err != nil {
			return err
		}
		var err error
		list, total, err = tx.FindClientTokens(ctx, f)
		return err
	})
	return list, total, err
}

// RevokeClientToken revokes a client-side token for good and writes
// client_token.updated and client_token.revoked (Paddle documents both for a
// revocation). Revoking a revoked token changes nothing.
func (s *Service) RevokeClientToken(ctx context.Context, sc Scope, id string) (*keygate.ClientToken, error) {
	now := s.now()
	var t *keygate.ClientToken
	var changed bool
	err := s.Store.Update(ctx, func(tx keygate.Tx) (err error) {
		if t, err = findClientToken(ctx, tx, sc, id); err != nil {
			return err
		}
		if changed = t.Revoke(now); !changed {
			return nil
		}
		if err := tx.UpdateClientToken(ctx, t); err != nil {
			return err
		}
		snapshot := wire.NewClientToken(t)
		for _, typ := range []keygate.EventType{keygate.EventClientUpdated, keygate.EventClientRevoked} {
			if err := emit(ctx, tx, t.AccountID, t.Environment, typ, t.ID, snapshot, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if changed {
		s.changed(t.ID)
	}
	return t, nil
}

func findClientToken(ctx context.Context, tx keygate.Tx, sc Scope, id string) (*keygate.ClientToken, error) {
	if !credential.ValidID("ctkn", id) {
		return nil, keygate.NotFound(id)
	}
	t, err := tx.FindClientTokenByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if !sc.allows(t.AccountID) {
		return nil, keygate.NotFound(id)
	}
	return t, nil
}

// permList is ps, comma-separated.
func permList(ps []keygate.Permission) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p)
	}
	return strings.Join(out, ", ")
}
