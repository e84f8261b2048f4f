package app

import (
	"context"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/wire"
)

// CreateAPIKey creates a standard API key in an account and returns it with
// the full key, which exists nowhere else: show it once. It writes
// api_key.created.
func (s *Service) CreateAPIKey(ctx context.Context, sc Scope, accountID string, in keygate.APIKeyCreate) (*keygate.APIKey, string, error) {
	now := s.now()
	asked := in.ExpiresAt
	in, err := in.Validate(now)
	if err != nil {
		return nil, "", err
	}
	if err := sc.checkGrant(in.Permissions); err != nil {
		return nil, "", err
	}
	if asked, err = sc.limitExpiry(asked, now); err != nil {
		return nil, "", err
	} else if asked != nil {
		in.ExpiresAt = asked
	}
	var k *keygate.APIKey
	var token string
	err = s.Store.Update(ctx, func(tx keygate.Tx) error {
		a, err := findAccount(ctx, tx, sc, accountID)
		if err != nil {
			return err
		}
		if k, token, err = s.createKeyTx(ctx, tx, a, in, now); err != nil {
			return err
		}
		return record(ctx, tx, sc.Actor(), a.ID, a.Environment, keygate.AuditKeyCreated, k.ID, "", now)
	})
	if err != nil {
		return nil, "", err
	}
	s.changed(k.ID)
	return k, token, nil
}

// createKeyTx creates a validated key in account a, with its event, in tx.
func (s *Service) createKeyTx(ctx context.Context, tx keygate.Tx, a *keygate.Account, in keygate.APIKeyCreate, now time.Time) (*keygate.APIKey, string, error) {
	if in.ExpiresAt == nil {
		exp := now.Add(keygate.DefaultKeyLifetime)
		in.ExpiresAt = &exp
	}
	nk := credential.NewAPIKey(s.KeyPrefix, credential.EnvFromName(string(a.Environment)), now)
	k := &keygate.APIKey{
		ID: nk.EntityID, AccountID: a.ID, Environment: a.Environment, Name: in.Name, Description: in.Description,
		Status: keygate.APIKeyActive, Permissions: in.Permissions, Rotatable: in.Rotatable, SecretHash: nk.Hash[:],
		ExpiresAt: in.ExpiresAt, CreatedAt: now, UpdatedAt: now, KeyPrefix: s.KeyPrefix, RateLimit: in.RateLimit,
	}
	var err error
	if k.AllowedIPs, err = keygate.ParseAllowedIPs(in.AllowedIPs); err != nil {
		return nil, "", err
	}
	if in.Credits != nil {
		k.Credits = keygate.NewCredits(*in.Credits, now)
	}
	if err := tx.CreateAPIKey(ctx, k); err != nil {
		return nil, "", err
	}
	return k, nk.Token, emit(ctx, tx, a.ID, a.Environment, keygate.EventAPIKeyCreated, k.ID, wire.NewAPIKey(k, now), now)
}

// ImportLegacyKey records a pre-2025 legacy key (50 characters of
// [a-zA-Z0-9]) so that it keeps working: full access, no expiry, and no
// reactivation once revoked. Only its SHA-256 is stored. It writes
// api_key.created.
func (s *Service) ImportLegacyKey(ctx context.Context, sc Scope, accountID, name, key string) (*keygate.APIKey, error) {
	now := s.now()
	tok, err := credential.Parse(key)
	if err != nil || tok.Kind != credential.KindLegacyKey {
		return nil, &keygate.Error{Code: keygate.CodeInvalidField, Message: "Request does not pass validation.",
			Fields: []keygate.FieldError{{Field: "key", Message: "must be a legacy key: 50 characters of [a-zA-Z0-9]"}}}
	}
	if err := (keygate.LegacyKeyImport{Name: name}).Validate(); err != nil {
		return nil, err
	}
	hash := credential.HashSecret(tok.Secret)
	var k *keygate.APIKey
	err = s.Store.Update(ctx, func(tx keygate.Tx) error {
		a, err := findAccount(ctx, tx, sc, accountID)
		if err != nil {
			return err
		}
		k = &keygate.APIKey{
			ID: credential.NewID("apikey", now), AccountID: a.ID, Environment: a.Environment, Name: name,
			Status: keygate.APIKeyActive, Legacy: true, SecretHash: hash[:], CreatedAt: now, UpdatedAt: now,
		}
		if err := tx.CreateAPIKey(ctx, k); err != nil {
			return err
		}
		if err := record(ctx, tx, sc.Actor(), a.ID, a.Environment, keygate.AuditKeyCreated, k.ID, "legacy key imported", now); err != nil {
			return err
		}
		return emit(ctx, tx, a.ID, a.Environment, keygate.EventAPIKeyCreated, k.ID, wire.NewAPIKey(k, now), now)
	})
	if err != nil {
		return nil, err
	}
	s.changed(k.ID)
	return k, nil
}

// GetAPIKey returns an API key the scope may see; a key of another account
// is CodeNotFound, exactly as a key that does not exist.
func (s *Service) GetAPIKey(ctx context.Context, sc Scope, id string) (*keygate.APIKey, error) {
	var k *keygate.APIKey
	err := s.Store.View(ctx, func(tx keygate.Tx) error {
		var err error
		k, err = findAPIKey(ctx, tx, sc, id)
		return err
	})
	return k, err
}

// ListAPIKeys lists the keys of the scope's account (or, for the operator,
// of f.AccountID), with statuses evaluated now.
func (s *Service) ListAPIKeys(ctx context.Context, sc Scope, f keygate.APIKeyFilter) ([]*keygate.APIKey, int, error) {
	if !sc.operator {
		f.AccountID = sc.accountID
	}
	f.Now = s.now()
	var list []*keygate.APIKey
	var total int
	err := s.Store.View(ctx, func(tx keygate.Tx) error {
		if _, err := findAccount(ctx, tx, sc, f.AccountID); err != nil {
			return err
		}
		var err error
		list, total, err = tx.FindAPIKeys(ctx, f)
		return err
	})
	return list, total, err
}

// UpdateAPIKey changes a key's name, description or permissions (never its
// expiry) and writes api_key.updated if anything changed.
func (s *Service) UpdateAPIKey(ctx context.Context, sc Scope, id string, u keygate.APIKeyUpdate) (*keygate.APIKey, error) {
	return s.PatchAPIKey(ctx, sc, id, u, nil)
}

// RevokeAPIKey revokes a key on a user's behalf: it stops working at once and
// may be reactivated within keygate.ReactivationWindow. Writes
// api_key.revoked.
func (s *Service) RevokeAPIKey(ctx context.Context, sc Scope, id string) (*keygate.APIKey, error) {
	return s.changeAPIKey(ctx, sc, id, func(k *keygate.APIKey, now time.Time) ([]keygate.EventType, []keygate.AuditAction, error) {
		return []keygate.EventType{keygate.EventAPIKeyRevoked}, []keygate.AuditAction{keygate.AuditKeyRevoked}, k.Revoke(now, keygate.RevokedByUser)
	})
}

// ReactivateAPIKey brings back a key a user revoked less than
// keygate.ReactivationWindow ago. Paddle has no reactivation event, so it
// writes api_key.updated, whose status is active again.
func (s *Service) ReactivateAPIKey(ctx context.Context, sc Scope, id string) (*keygate.APIKey, error) {
	return s.changeAPIKey(ctx, sc, id, func(k *keygate.APIKey, now time.Time) ([]keygate.EventType, []keygate.AuditAction, error) {
		return []keygate.EventType{keygate.EventAPIKeyUpdated}, []keygate.AuditAction{keygate.AuditKeyReactivated}, k.Reactivate(now)
	})
}

// PatchAPIKey applies u and then, if status is not nil, moves the key to
// that status (revoked: revoke; active: reactivate), all in one transaction:
// either everything applies or nothing does. A status the key already has
// changes nothing, so the same PATCH may be sent twice. It writes
// api_key.updated for changed fields and api_key.revoked or api_key.updated
// for the status.
func (s *Service) PatchAPIKey(ctx context.Context, sc Scope, id string, u keygate.APIKeyUpdate, status *keygate.APIKeyStatus) (*keygate.APIKey, error) {
	if u.Permissions != nil {
		if err := sc.checkGrant(*u.Permissions); err != nil {
			return nil, err
		}
	}
	return s.changeAPIKey(ctx, sc, id, func(k *keygate.APIKey, now time.Time) ([]keygate.EventType, []keygate.AuditAction, error) {
		var events []keygate.EventType
		var actions []keygate.AuditAction
		changed, err := k.Apply(now, u)
		if err != nil {
			return nil, nil, err
		}
		if changed {
			events = append(events, keygate.EventAPIKeyUpdated)
			actions = append(actions, keygate.AuditKeyUpdated)
		}
		if status == nil || *status == k.StatusAt(now) {
			return events, actions, nil
		}
		switch *status {
		case keygate.APIKeyRevoked:
			return append(events, keygate.EventAPIKeyRevoked), append(actions, keygate.AuditKeyRevoked), k.Revoke(now, keygate.RevokedByUser)
		case keygate.APIKeyActive:
			actions = append(actions, keygate.AuditKeyReactivated)
			if changed {
				return events, actions, k.Reactivate(now) // one api_key.updated covers both
			}
			return append(events, keygate.EventAPIKeyUpdated), actions, k.Reactivate(now)
		}
		return nil, nil, &keygate.Error{Code: keygate.CodeInvalidField, Message: "Request does not pass validation.",
			Fields: []keygate.FieldError{{Field: "status", Message: "must be one of active, revoked"}}}
	})
}

// changeAPIKey is the shape of every change to a key: in one transaction,
// find it (locked) and apply change at now; if change names events, write the
// key, an event of each type and an audit entry of each action, by the
// scope's actor. A change that names no event changed nothing and writes
// nothing.
func (s *Service) changeAPIKey(ctx context.Context, sc Scope, id string, change func(*keygate.APIKey, time.Time) ([]keygate.EventType, []keygate.AuditAction, error)) (*keygate.APIKey, error) {
	now := s.now()
	var k *keygate.APIKey
	var wrote bool
	err := s.Store.Update(ctx, func(tx keygate.Tx) error {
		var err error
		if k, err = findAPIKey(ctx, tx, sc, id); err != nil {
			return err
		}
		events, actions, err := change(k, now)
		if err != nil || len(events) == 0 {
			return err
		}
		for _, a := range actions {
			if err := record(ctx, tx, sc.Actor(), k.AccountID, k.Environment, a, k.ID, "", now); err != nil {
				return err
			}
		}
		if err := tx.UpdateAPIKey(ctx, k); err != nil {
			return err
		}
		snapshot := wire.NewAPIKey(k, now)
		for _, typ := range events {
			if err := emit(ctx, tx, k.AccountID, k.Environment, typ, k.ID, snapshot, now); err != nil {
				return err
			}
		}
		wrote = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	if wrote {
		s.changed(k.ID)
	}
	return k, nil
}

// findAPIKey returns the key if the scope may see it, CodeNotFound if not.
func findAPIKey(ctx context.Context, tx keygate.Tx, sc Scope, id string) (*keygate.APIKey, error) {
	if !credential.ValidID("apikey", id) {
		return nil, keygate.NotFound(id)
	}
	k, err := tx.FindAPIKeyByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if !sc.allows(k.AccountID) {
		return nil, keygate.NotFound(id)
	}
	return k, nil
}

// APIKeyUsage returns a key's requests per hour since since, oldest first.
func (s *Service) APIKeyUsage(ctx context.Context, sc Scope, id string, since time.Time) ([]keygate.Usage, error) {
	var usage []keygate.Usage
	err := s.Store.View(ctx, func(tx keygate.Tx) error {
		if _, err := findAPIKey(ctx, tx, sc, id); err != nil {
			return err
		}
		var err error
		usage, err = tx.FindAPIKeyUsage(ctx, id, since)
		return err
	})
	return usage, err
}
